"""The benchmark's results: medians over repetitions, the Markdown table
(steps x metrics, a column per tool, offsite's ratio to the best peer and,
when both ran, offsite-rgw's to offsite: the pair on Ceph against the local
pair),
the machine-limit section, and the machine and tool descriptions."""

import datetime
import os
import platform
import statistics
import subprocess

STEPS = [("first", "first backup"), ("unchanged", "unchanged"), ("changed", "changed"),
         ("restore", "restore")]
METRICS = [("wall_s", "wall s", "{:.2f}"), ("cpu_s", "CPU s (client)", "{:.2f}"),
           ("server_cpu_s", "CPU s (server)", "{:.2f}"),
           ("store_cpu_s", "CPU s (Ceph daemons)", "{:.2f}"),
           ("client_rss_mib", "client peak RSS MiB", "{:.0f}"),
           ("server_rss_mib", "server peak RSS MiB", "{:.0f}"),
           ("stored_mib", "stored MiB", "{:.1f}")]
# Rows left out when no tool has a figure for them.
OPTIONAL_METRICS = {"store_cpu_s"}
# Not peers of offsite: offsite-rgw is offsite, on another store.
OFFSITE_FAMILY = {"offsite", "offsite-rgw"}


def step_label(key, change_percent):
    label = dict(STEPS)[key]
    return f"{change_percent:g}% changed" if key == "changed" else label


def medians(runs, tools):
    """runs: [{step: {tool: {metric: value}}}] -> {step: {tool: {metric: median}}}"""
    out = {}
    for step, _ in STEPS:
        out[step] = {}
        for tool in tools:
            out[step][tool] = {}
            for metric, _, _ in METRICS:
                values = [r[step][tool][metric] for r in runs if r[step][tool][metric] is not None]
                out[step][tool][metric] = statistics.median(values) if values else None
    return out


def _ratio(med, step, metric, mine, theirs):
    """mine / the smallest of theirs, or None."""
    value = med[step][mine][metric]
    others = [med[step][t][metric] for t in theirs if med[step][t][metric] is not None]
    if value is None or not others or min(others) <= 0:
        return None
    return value / min(others)


def table(med, tools, change_percent):
    ratios = []  # (heading, numerator, denominators)
    peers = [t for t in tools if t not in OFFSITE_FAMILY]
    if "offsite" in tools and peers:
        ratios.append(("offsite / best peer", "offsite", peers))
    if "offsite" in tools and "offsite-rgw" in tools:
        ratios.append(("rgw / local", "offsite-rgw", ["offsite"]))
    head = ["step", "metric"] + tools + [heading for heading, _, _ in ratios]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for step, _ in STEPS:
        for metric, label, fmt in METRICS:
            values = [med[step][tool][metric] for tool in tools]
            if metric in OPTIONAL_METRICS and all(v is None for v in values):
                continue
            cells = [step_label(step, change_percent), label]
            cells += ["–" if v is None else fmt.format(v) for v in values]
            for _, mine, theirs in ratios:
                r = _ratio(med, step, metric, mine, theirs)
                cells.append("–" if r is None else f"{r:.2f}×")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def limits_section(limits, med, tools):
    lines = [f"Machine limit for this tree ({limits['tree_bytes'] / 2**20:.0f} MiB, "
             f"{limits['tree_files']} files), {limits['threads']} threads per stage, "
             f"zstd level {limits['zstd_level']} (ratio {limits['zstd_ratio']:.2f} on the tree):", "",
             f"| stage | MB/s | s for the tree |", "|---|---:|---:|"]
    for s in limits["stages"]:
        lines.append(f"| {s['what']} | {s['mb_per_s']:.0f} | {s['seconds_for_tree']:.2f} |")
    slowest = next(s for s in limits["stages"] if s["name"] == limits["limit"]["stage"])
    lines.append(f"| **limit: the slowest ({slowest['what']})** | | **{limits['limit']['seconds']:.2f}** |")
    lines.append(f"| all four one after another | | {limits['all_stages_seconds']:.2f} |")
    lines += ["", "First backup's wall time over the limit (1.00× would be the machine's speed):", "",
              "| " + " | ".join(tools) + " |", "|" + "---:|" * len(tools)]
    cells = []
    for tool in tools:
        wall = med["first"][tool]["wall_s"]
        cells.append("–" if wall is None or limits["limit"]["seconds"] <= 0
                     else f"{wall / limits['limit']['seconds']:.1f}×")
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def median(values):
    return statistics.median(values) if values else None


def floor_section(floor, med, tools):
    """The restore against `tar x` of the same tree (issue 20: within 1.5x)."""
    if not floor:
        return ""
    lines = [f"Restore floor: `tar x` of the changed tree, its archive in the page cache, into an "
             f"empty directory: {floor:.2f} s. Each restore's wall time over it:", "",
             "| " + " | ".join(tools) + " |", "|" + "---:|" * len(tools)]
    cells = []
    for tool in tools:
        wall = med["restore"][tool]["wall_s"]
        cells.append("–" if wall is None else f"{wall / floor:.2f}×")
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown"


def machine(work_dir):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "disk": _first_line(["findmnt", "-no", "FSTYPE,SOURCE,OPTIONS", "-T", work_dir]),
    }


def _tree_line(tree, args):
    if tree.get("kind") == "linux":
        return (f"- tree: the Linux source from Debian's {tree['package']}, {tree['bytes'] / 2**20:.0f} MiB "
                f"in {tree['files']} files, {tree['dirs']} directories, {tree['symlinks']} symlinks")
    return (f"- tree: seed {args.seed}, {tree['bytes'] / 2**20:.0f} MiB in {tree['files']} files "
            f"({tree['text_bytes'] / 2**20:.0f} MiB text-like, {tree['binary_bytes'] / 2**20:.0f} MiB "
            f"incompressible, {tree['small_bytes'] / 2**20:.0f} MiB small files), {tree['dirs']} "
            f"directories, {tree['symlinks']} symlinks; {tree['duplicate_bytes'] / 2**20:.0f} MiB "
            f"duplicates, {tree['shared_version_bytes'] / 2**20:.0f} MiB in versions of other files")


def header(info, versions, tree, mutation, args):
    m = info
    lines = [f"# offsite benchmark, {m['date']}", "",
             f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, "
             f"kernel {m['kernel']}",
             f"- work directory file system: {m['disk']}",
             _tree_line(tree, args),
             f"- change: {mutation['changed_percent']:.1f}% of the bytes ({mutation['files_changed']} files "
             f"changed, {mutation['files_created']} new, {mutation['files_deleted']} deleted)",
             f"- medians of {args.runs} run(s), tool order rotated each run; every restore verified "
             f"against the changed tree (content, modes, mtimes, symlinks)"]
    lines += [f"- {tool}: {version}" for tool, version in versions.items()]
    return "\n".join(lines)
