#!/usr/bin/env python3
"""Checks deploy/Dockerfile's runtime stage against the built binaries (no Docker needed).

  runtime_libs_check.py DOCKERFILE BINARY...

For each binary:
  * every library it links directly (ELF NEEDED, resolved by ldd) must come from a package
    named in the runtime stage's `apt-get install`;
  * every library ldd reports (the transitive closure) must come from a package named there
    or from one of their dependencies (what apt installs with them, per apt-cache depends).
And every package named in either stage must exist in this Debian release (apt-cache show),
the runtime stage must not install -dev packages, and it must run as a non-root user.

Exit 0 when all holds; 1 with one line per problem otherwise; 77 (ctest SKIP) when the tools
it needs (ldd, dpkg, apt-cache, readelf) or apt's package lists are missing.
"""
import os
import re
import shutil
import subprocess
import sys

SKIP = 77


def run(args):
    return subprocess.run(args, capture_output=True, text=True, check=False)


def stages(dockerfile_text):
    """[(name, [instructions])] with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in dockerfile_text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    result = []
    for line in lines:
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if m:
            result.append((m.group(1) or str(len(result)), []))
        elif result:
            result[-1][1].append(line)
    return result


def installed_packages(instructions):
    """Package names of every `apt-get install` in RUN instructions."""
    names = []
    for ins in instructions:
        if not ins.upper().startswith("RUN "):
            continue
        for command in re.split(r"&&|;|\|\|", ins[4:]):
            words = command.split()
            if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
                rest = words[words.index("install") + 1:]
                names += [w for w in rest if not w.startswith("-")]
    return names


def spellings(path):
    """The names dpkg may know `path` by (its symlink target; /lib and /usr/lib merged)."""
    out = []
    for p in (path, os.path.realpath(path)):
        out.append(p)
        if p.startswith("/usr/lib/"):
            out.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            out.append("/usr" + p)
    return out


def owners(paths):
    """{path: package} for every path dpkg knows under one of its spellings (one dpkg call)."""
    wanted = {}
    for path in paths:
        for s in spellings(path):
            wanted.setdefault(s, []).append(path)
    r = run(["dpkg", "-S"] + sorted(wanted))
    result = {}
    for line in r.stdout.splitlines():
        m = re.match(r"([^:]+)(?::\S+)?: (/\S+)$", line)
        if m and m.group(2) in wanted:
            for path in wanted[m.group(2)]:
                result.setdefault(path, m.group(1).split(",")[0].strip())
    return result


def ldd_libraries(binary):
    """{soname: resolved path} from ldd; raises on a library ldd cannot find."""
    r = run(["ldd", binary])
    if r.returncode != 0:
        raise RuntimeError(f"ldd {binary} failed: {r.stderr.strip()}")
    libs = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
        if m:
            if m.group(2) == "not":
                raise RuntimeError(f"{binary}: {m.group(1)} not found by ldd")
            libs[m.group(1)] = m.group(2)
        else:
            m = re.match(r"\s*(/\S+)\s+\(", line)  # the dynamic loader
            if m:
                libs[os.path.basename(m.group(1))] = m.group(1)
    return libs


def needed(binary):
    r = run(["readelf", "-d", binary])
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)


def dependency_closure(packages):
    """The packages apt installs for `packages` (Depends/PreDepends, recursively)."""
    r = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
             "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + packages)
    closure = set(packages)
    for line in r.stdout.splitlines():
        m = re.match(r"\s*\|?(?:Pre)?Depends:\s+<?([^\s>]+)>?", line)
        if m:
            closure.add(m.group(1).split(":")[0])
        elif line and not line.startswith(" "):
            closure.add(line.strip().split(":")[0])
    return closure


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    for tool in ("ldd", "dpkg", "apt-cache", "readelf"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} is not installed")
            return SKIP
    probe = run(["apt-cache", "show", "--no-all-versions", "libc6"])
    if probe.returncode != 0 or "Package:" not in probe.stdout:
        print("SKIP: apt-cache knows no packages (empty package lists): run apt-get update")
        return SKIP
    dockerfile, binaries = argv[1], argv[2:]
    problems = []
    with open(dockerfile, encoding="utf-8") as f:
        parsed = stages(f.read())
    names = [n for n, _ in parsed]
    if "runtime" not in names or "build" not in names:
        print(f"FAIL: {dockerfile} needs stages named build and runtime (has {names})")
        return 1
    runtime = dict(parsed)["runtime"]
    runtime_pkgs = installed_packages(runtime)
    build_pkgs = installed_packages(dict(parsed)["build"])
    if not runtime_pkgs:
        problems.append("the runtime stage installs no packages")

    all_pkgs = sorted(set(runtime_pkgs + build_pkgs))
    r = run(["apt-cache", "show", "--no-all-versions"] + all_pkgs)
    known = set(re.findall(r"^Package: (\S+)", r.stdout, re.MULTILINE))
    for pkg in all_pkgs:
        if pkg not in known:
            problems.append(f"package {pkg} does not exist in this Debian release")
    for pkg in runtime_pkgs:
        if pkg.endswith("-dev") or pkg in ("g++", "gcc", "cmake", "ninja-build"):
            problems.append(f"the runtime stage installs the build-only package {pkg}")

    users = [i.split(None, 1)[1] for i in runtime if i.upper().startswith("USER ")]
    if not users:
        problems.append("the runtime stage has no USER: the services would run as root")
    elif users[-1].split(":")[0] in ("root", "0"):
        problems.append("the runtime stage's last USER is root")
    if not any(i.upper().startswith("VOLUME") and "/var/lib/lianfang" in i for i in runtime):
        problems.append("the runtime stage declares no /var/lib/lianfang volume")
    if not any(i.upper().startswith("ENTRYPOINT") for i in runtime):
        problems.append("the runtime stage has no ENTRYPOINT")

    named = set(runtime_pkgs)
    closure = dependency_closure(sorted(named))
    per_binary = []
    for binary in binaries:
        if not os.access(binary, os.X_OK):
            problems.append(f"{binary} is not a built executable")
            continue
        try:
            per_binary.append((binary, ldd_libraries(binary)))
        except RuntimeError as e:
            problems.append(str(e))
    owner = owners({p for _, libs in per_binary for p in libs.values() if p.startswith("/")})
    checked = 0
    for binary, libs in per_binary:
        direct = set(needed(binary))
        for soname, path in sorted(libs.items()):
            if soname.startswith("linux-vdso") or not path.startswith("/"):
                continue
            checked += 1
            pkg = owner.get(path)
            name = os.path.basename(binary)
            if pkg is None:
                problems.append(f"{name}: {soname} ({path}) belongs to no Debian package")
            elif soname in direct and pkg not in named:
                problems.append(f"{name} links {soname} directly: add package {pkg} to the "
                                f"runtime stage")
            elif pkg not in closure:
                problems.append(f"{name} loads {soname} from {pkg}, which the runtime stage "
                                f"neither names nor pulls in")
        print(f"{os.path.basename(binary)}: {len(libs)} libraries, {len(direct)} direct")
    for p in problems:
        print(f"FAIL: {p}")
    if problems:
        return 1
    print(f"OK: {checked} library uses of {len(binaries)} binaries covered by "
          f"{len(named)} runtime packages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
