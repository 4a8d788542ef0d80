#!/usr/bin/python3
"""Mutation testing for xai (Python 3 standard library only).

    nice -n 10 /usr/bin/python3 tools/mutate/mutate.py [options] FILE...
    make mutate [MUTATE_N=60] [MUTATE_SEED=1] [MUTATE_JOBS=2] [MUTATE_FILES=...]

Every single-token mutation of the given library sources is enumerated
(operators below), a deterministic sample of N is drawn with the seed, and
each sampled mutant is built in its own copy of the tree and run against the
test suite:

  aor   arithmetic swap          a + b <-> a - b,  a * b <-> a / b
  ror   comparison swap          <  <=  >  >=  ==  !=  (bounds off by one)
  lcr   logical swap             &&  <->  ||
  asr   compound assignment      += <-> -=,  *= <-> /=
  crp   constant off by one      integer n -> n + 1, n - 1; real v -> 2 v
  neg   unary minus dropped      -x -> x
  drop  term dropped             a + b * c -> a   (a binary +/- and its term)
  swap  call arguments swapped   f(a, b) -> f(b, a)   (adjacent, different)

Lines that only format error messages (xai_fail, g_node_fail, snprintf, ...)
and preprocessor lines are not mutated; comments and string literals never.

Per mutant: the file is changed in the worker's tree, libxai.so is rebuilt
(one object + one link: the worker's test binaries, CLI and examples are
linked once against that shared library), then the test binaries run from
the cheapest (baseline wall time) to the dearest, each with a time limit of
max(20 s, 5 x its baseline), stopping at the first failure.  Outcomes:
caught (a test failed or crashed), timeout, survived, unbuildable (does not
compile: not a mutant), equivalent (listed in tools/mutate/equivalent.txt by
id, with the reason: excluded from the score).

Score = (caught + timeout) / (caught + timeout + survived).  The report
(build-mutate/report.txt) lists every mutant; survivors with their
file:line, id and diff.
"""
import argparse
import concurrent.futures as cf
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, "build-mutate")
EQUIV = os.path.join(ROOT, "tools", "mutate", "equivalent.txt")

# ------------------------------------------------------------ C tokens

TOKEN = re.compile(r"""
    (?P<num>(?:0[xX][0-9a-fA-F]+|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)[uUlLfF]*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|[-+*/%<>=!~&|^?:;,.()\[\]{}])
  | (?P<ws>\s+)
  | (?P<other>.)
""", re.X)

TYPE_WORDS = {
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
    "const", "static", "struct", "enum", "union", "restrict", "volatile", "_Bool", "bool",
    "FILE",
}
KEYWORDS = {"return", "case", "sizeof", "if", "while", "for", "switch", "else", "do", "goto"}
MESSAGE_CALLS = re.compile(r"\b(xai_fail|g_node_fail|snprintf|fprintf|printf|xai_fail_errno|"
                           r"audit_wrap|XAI_FAIL\w*)\s*\(")


def blank_comments_and_strings(lines):
    """The lines with comments, strings and char literals replaced by spaces
    (same columns), and preprocessor lines emptied."""
    out, in_block = [], False
    for line in lines:
        res, i, n = [], 0, len(line)
        if not in_block and line.lstrip().startswith("#"):
            out.append(" " * len(line.rstrip("\n")))
            continue
        while i < n:
            c = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block = False
                    res.append("  ")
                    i += 2
                else:
                    res.append(" " if c != "\n" else "")
                    i += 1
            elif line.startswith("/*", i):
                in_block = True
                res.append("  ")
                i += 2
            elif line.startswith("//", i):
                break
            elif c in "\"'":
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                res.append(" " * (min(j, n - 1) - i + 1))
                i = j + 1
            else:
                res.append(c if c != "\n" else "")
                i += 1
        out.append("".join(res))
    return out


def tokens(text):
    toks = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind != "ws":
            toks.append((kind, m.group(), m.start(), m.end()))
    return toks


def is_operand_end(tok):
    kind, s = tok[0], tok[1]
    if kind == "num":
        return True
    if kind == "id":
        return s not in KEYWORDS and s not in TYPE_WORDS
    return s in (")", "]")


def looks_like_type(tok):
    s = tok[1]
    return tok[0] == "id" and (s in TYPE_WORDS or s.endswith("_t") or s.startswith("xai_")
                               and not s.startswith("xai_rng_") and s[4:5].islower()
                               and "(" not in s)


def skip_group(toks, i):
    """Index after the bracket group opening at toks[i]."""
    pairs = {"(": ")", "[": "]"}
    depth, open_, close = 0, toks[i][1], pairs[toks[i][1]]
    while i < len(toks):
        if toks[i][1] == open_:
            depth += 1
        elif toks[i][1] == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def primary_end(toks, i):
    """Index after a primary expression with postfixes starting at i."""
    if i >= len(toks):
        return None
    if toks[i][1] in ("-", "!", "~", "*", "&"):
        return primary_end(toks, i + 1)
    if toks[i][1] == "(":
        j = skip_group(toks, i)
        if j is not None and j < len(toks) and (toks[j][0] in ("id", "num") or toks[j][1] == "("):
            return primary_end(toks, j)  # a cast
        i = j
    elif toks[i][0] in ("id", "num"):
        i += 1
    else:
        return None
    while i is not None and i < len(toks):
        s = toks[i][1]
        if s in ("(", "["):
            i = skip_group(toks, i)
        elif s in (".", "->") and i + 1 < len(toks) and toks[i + 1][0] == "id":
            i += 2
        else:
            break
    return i


def term_end(toks, i):
    i = primary_end(toks, i)
    while i is not None and i < len(toks) and toks[i][1] in ("*", "/"):
        i = primary_end(toks, i + 1)
    return i


SWAPS = {"+": "-", "-": "+", "*": "/", "/": "*"}
ROR = {"<": ["<="], "<=": ["<"], ">": [">="], ">=": [">"], "==": ["!="], "!=": ["=="]}
ASR = {"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*="}


def line_mutants(raw, clean):
    """(operator, col_start, col_end, replacement) for one line."""
    if MESSAGE_CALLS.search(clean):
        return []
    toks = tokens(clean)
    out = []
    for k, (kind, s, a, b) in enumerate(toks):
        prev = toks[k - 1] if k else None
        binary = prev is not None and is_operand_end(prev)
        if kind == "op":
            if s in ("+", "-") and binary:
                out.append(("aor", a, b, SWAPS[s]))
                e = term_end(toks, k + 1)
                if e is not None and (e >= len(toks) or toks[e][1] in (")", ";", ",", "+", "-", "]", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "?", ":")):
                    out.append(("drop", prev[3], toks[e - 1][3], ""))
            elif s in ("*", "/") and binary and not (prev[0] == "id" and looks_like_type(prev)):
                out.append(("aor", a, b, SWAPS[s]))
            elif s == "-" and not binary and k + 1 < len(toks) and toks[k + 1][0] in ("id", "num", "op") \
                    and toks[k + 1][1] not in ("-", "="):
                out.append(("neg", a, b, ""))
            elif s in ROR and binary:
                for r in ROR[s]:
                    out.append(("ror", a, b, r))
            elif s in ("&&", "||"):
                out.append(("lcr", a, b, "||" if s == "&&" else "&&"))
            elif s in ASR:
                out.append(("asr", a, b, ASR[s]))
        elif kind == "num":
            body = re.match(r"(0[xX][0-9a-fA-F]+|[\d.]+(?:[eE][+-]?\d+)?)(\w*)", s)
            digits, suffix = body.group(1), body.group(2)
            # array sizes in declarations and shifts are not interesting
            if prev is not None and prev[1] == "[" and k >= 2 and looks_like_type(toks[k - 2]):
                continue
            if re.fullmatch(r"\d+", digits) or digits.lower().startswith("0x"):
                v = int(digits, 0)
                out.append(("crp", a, b, str(v + 1) + suffix))
                if v > 0:
                    out.append(("crp", a, b, str(v - 1) + suffix))
            else:
                v = float(digits)
                if v != 0:
                    out.append(("crp", a, b, repr(2 * v) + ("f" if "f" in suffix.lower() else "")))
        elif kind == "id" and k + 1 < len(toks) and toks[k + 1][1] == "(" \
                and s not in KEYWORDS and not looks_like_type(toks[k - 1] if k else ("", "")):
            # adjacent top-level arguments of a call on this line
            args, depth, start = [], 0, k + 2
            j = k + 1
            while j < len(toks):
                t = toks[j][1]
                if t in ("(", "["):
                    depth += 1
                elif t in (")", "]"):
                    depth -= 1
                    if depth == 0:
                        args.append((start, j))
                        break
                elif t == "," and depth == 1:
                    args.append((start, j))
                    start = j + 1
                j += 1
            else:
                continue
            for x in range(len(args) - 1):
                (s1, e1), (s2, e2) = args[x], args[x + 1]
                if s1 >= e1 or s2 >= e2:
                    continue
                ta = raw[toks[s1][2]:toks[e1 - 1][3]]
                tb = raw[toks[s2][2]:toks[e2 - 1][3]]
                if ta.strip() != tb.strip():
                    out.append(("swap", toks[s1][2], toks[e2 - 1][3],
                                tb + raw[toks[e1 - 1][3]:toks[s2][2]] + ta))
    return out


class Mutant:
    def __init__(self, path, lineno, op, line, new_line):
        self.path, self.lineno, self.op = path, lineno, op
        self.line, self.new_line = line, new_line
        key = "%s|%s|%s" % (path, line.strip(), new_line.strip())
        self.id = hashlib.sha1(key.encode()).hexdigest()[:10]
        self.status, self.detail, self.seconds = None, "", 0.0

    def diff(self):
        return "-%s\n+%s" % (self.line.rstrip("\n"), self.new_line.rstrip("\n"))


def enumerate_mutants(paths):
    muts = []
    for path in paths:
        with open(os.path.join(ROOT, path)) as f:
            lines = f.readlines()
        clean = blank_comments_and_strings(lines)
        for i, (raw, cl) in enumerate(zip(lines, clean)):
            seen = set()
            for op, a, b, rep in line_mutants(raw, cl):
                new = raw[:a] + rep + raw[b:]
                if new == raw or new in seen:
                    continue
                seen.add(new)
                muts.append(Mutant(path, i + 1, op, raw, new))
    return muts


def load_equivalents():
    eq = {}
    if os.path.exists(EQUIV):
        for line in open(EQUIV):
            line = line.strip()
            if line and not line.startswith("#"):
                parts = line.split(None, 2)
                eq[parts[0]] = parts[2] if len(parts) > 2 else ""
    return eq

# ------------------------------------------------------------ workers


def run(cmd, cwd, timeout=None, log=None):
    """(returncode or 'timeout', seconds); the process group is killed on
    timeout."""
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=cwd, shell=isinstance(cmd, str), start_new_session=True,
                         stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        rc = "timeout"
    return rc, time.time() - t0


def somajor():
    text = open(os.path.join(ROOT, "include", "xai", "base.h")).read()
    return re.search(r"#define XAI_VERSION_MAJOR (\d+)", text).group(1)


def make_tree(dst):
    """A copy of the tracked and new source files plus the current build/."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for f in files:
        if not f or f.startswith("build-mutate/"):
            continue
        src = os.path.join(ROOT, f)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, f)) or dst, exist_ok=True)
        shutil.copy2(src, os.path.join(dst, f))
    if os.path.isdir(os.path.join(ROOT, "build")):
        subprocess.run(["cp", "-a", os.path.join(ROOT, "build"), dst], check=True)


def link_against_shared(tree, tests, log):
    """Relinks the test binaries, the CLI and the example programs of a tree
    against build/libxai.so (rpath to the tree), so that a mutant needs one
    object and one link."""
    so = os.path.join(tree, "build", "libxai.so")
    link = so + "." + somajor()
    if not os.path.exists(link):
        os.symlink("libxai.so", link)
    targets = ["build/xai"] + ["build/tests/" + t for t in tests]
    for f in os.listdir(os.path.join(tree, "examples", "api")) if os.path.isdir(
            os.path.join(tree, "examples", "api")) else []:
        if f.endswith(".c"):
            targets.append("build/examples/" + f[:-2])
    for t in targets:
        cmds = subprocess.run(["make", "-n", "-W", "build/libxai.a", t], cwd=tree,
                              capture_output=True, text=True).stdout
        cmds = cmds.replace("\\\n", " ")
        for c in cmds.split("\n"):
            if "build/libxai.a" in c and " -o " in c and not c.startswith("ar "):
                # $ORIGIN-relative, so a copied tree needs no relinking
                origin = "'-Wl,-rpath,$ORIGIN" + ("" if t.count("/") == 1 else "/..") + "'"
                c = c.replace("build/libxai.a", "-Lbuild -lxai " + origin)
                rc, _ = run(c, tree, log=log)
                if rc != 0:
                    raise SystemExit("mutate: relinking %s in %s failed" % (t, tree))


def baseline(tree, tests, log):
    """Builds everything, checks every test passes, returns {test: seconds}."""
    rc, _ = run(["make", "-j2", "all"] + ["build/tests/" + t for t in tests], tree, log=log)
    if rc != 0:
        raise SystemExit("mutate: the unmutated tree does not build (see %s)" % log.name)
    link_against_shared(tree, tests, log)
    times = {}
    for t in tests:
        rc, sec = run(["build/tests/" + t], tree, timeout=600, log=log)
        if rc != 0:
            raise SystemExit("mutate: %s fails on the unmutated tree (see %s)" % (t, log.name))
        times[t] = sec
    return times


def try_mutant(tree, m, order, times, log):
    path = os.path.join(tree, m.path)
    with open(path) as f:
        orig = f.read()
    lines = orig.splitlines(keepends=True)
    assert lines[m.lineno - 1] == m.line, "%s:%d changed" % (m.path, m.lineno)
    lines[m.lineno - 1] = m.new_line
    t0 = time.time()
    try:
        with open(path, "w") as f:
            f.write("".join(lines))
        log.write(("\n### %s %s:%d %s\n%s\n" % (m.id, m.path, m.lineno, m.op, m.diff())).encode())
        log.flush()
        rc, _ = run(["make", "-s", "build/libxai.so"], tree, timeout=300, log=log)
        if rc != 0:
            m.status = "unbuildable"
            return m
        m.status = "survived"
        for t in order:
            rc, _ = run(["build/tests/" + t], tree, timeout=max(20.0, 5 * times[t]), log=log)
            if rc == "timeout":
                m.status, m.detail = "timeout", t
                break
            if rc != 0:
                m.status, m.detail = "caught", t
                break
    finally:
        with open(path, "w") as f:
            f.write(orig)
        m.seconds = time.time() - t0
    return m


def main():
    # Started in the background by a non-interactive shell, this process and
    # so every test would inherit SIGINT and SIGQUIT ignored, and the tests
    # that interrupt the CLI (test_output_safety) would fail on the unmutated
    # tree.  Handled or default signals are reset to default at exec.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="library sources (globs allowed)")
    ap.add_argument("-n", type=int, default=60, help="mutants to sample (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel trees (max 2 here)")
    ap.add_argument("--list", action="store_true", help="print the sample and stop")
    ap.add_argument("--only", help="comma-separated mutant ids to run (ignores -n)")
    args = ap.parse_args()

    import glob
    paths = []
    for pat in args.files:
        hits = sorted(glob.glob(os.path.join(ROOT, pat)))
        if not hits:
            raise SystemExit("mutate: no file matches %s" % pat)
        paths += [os.path.relpath(h, ROOT) for h in hits]
    paths = sorted(set(paths))
    pool = enumerate_mutants(paths)
    if args.only:
        want = set(args.only.split(","))
        sample = [m for m in pool if m.id in want]
    else:
        rng = random.Random(args.seed)
        sample = pool if args.n <= 0 or args.n >= len(pool) else rng.sample(pool, args.n)
    equiv = load_equivalents()
    print("mutate: %d mutants in %d files; sample of %d (seed %d)" %
          (len(pool), len(paths), len(sample), args.seed), flush=True)
    if args.list:
        for m in sample:
            print("%s %s:%d %s%s\n%s" % (m.id, m.path, m.lineno, m.op,
                                         " [equivalent]" if m.id in equiv else "", m.diff()))
        return 0
    todo = []
    for m in sample:
        if m.id in equiv:
            m.status, m.detail = "equivalent", equiv[m.id]
        else:
            todo.append(m)

    os.makedirs(WORK, exist_ok=True)
    tests = sorted(f[:-2] for f in os.listdir(os.path.join(ROOT, "tests"))
                   if f.startswith("test_") and f.endswith(".c"))
    jobs = max(1, min(args.jobs, len(todo) or 1))
    trees = [os.path.join(WORK, "w%d" % k) for k in range(jobs)]
    t_start = time.time()
    print("mutate: preparing %s (baseline build and test run)" % trees[0], flush=True)
    make_tree(trees[0])
    logs = [open(os.path.join(WORK, "w%d.log" % k), "wb") for k in range(jobs)]
    times = baseline(trees[0], tests, logs[0])
    order = sorted(tests, key=lambda t: times[t])
    for k in range(1, jobs):
        if os.path.exists(trees[k]):
            shutil.rmtree(trees[k])
        subprocess.run(["cp", "-a", trees[0], trees[k]], check=True)
    print("mutate: baseline %.1f s of tests; %d mutants on %d trees" %
          (sum(times.values()), len(todo), jobs), flush=True)

    free = list(range(jobs))
    lock = threading.Lock()

    def work(m):
        with lock:
            k = free.pop()
        try:
            return try_mutant(trees[k], m, order, times, logs[k])
        finally:
            with lock:
                free.append(k)

    done = 0
    with cf.ThreadPoolExecutor(jobs) as ex:
        for m in ex.map(work, todo):
            done += 1
            print("[%d/%d] %-11s %s %s:%d %s %s (%.0f s)" % (
                done, len(todo), m.status, m.id, m.path, m.lineno, m.op, m.detail, m.seconds),
                flush=True)
    counts = {}
    for m in sample:
        counts[m.status] = counts.get(m.status, 0) + 1
    killed = counts.get("caught", 0) + counts.get("timeout", 0)
    scored = killed + counts.get("survived", 0)
    score = 100.0 * killed / scored if scored else 0.0
    rep = []
    rep.append("xai mutation testing: seed %d, %d of %d mutants, files: %s" %
               (args.seed, len(sample), len(pool), " ".join(paths)))
    rep.append("caught %d, timed out %d, survived %d, unbuildable %d, equivalent %d" %
               (counts.get("caught", 0), counts.get("timeout", 0), counts.get("survived", 0),
                counts.get("unbuildable", 0), counts.get("equivalent", 0)))
    rep.append("score: %d / %d = %.1f%% of the non-equivalent mutants caught (%.0f s)" %
               (killed, scored, score, time.time() - t_start))
    rep.append("")
    for st in ("survived", "timeout", "equivalent", "caught", "unbuildable"):
        for m in sample:
            if m.status == st:
                rep.append("%-11s %s %s:%d %s%s" % (st, m.id, m.path, m.lineno, m.op,
                                                    " (" + m.detail + ")" if m.detail else ""))
                if st in ("survived", "timeout", "equivalent"):
                    rep.append("    " + m.diff().replace("\n", "\n    "))
    text = "\n".join(rep) + "\n"
    with open(os.path.join(WORK, "report.txt"), "w") as f:
        f.write(text)
    print("\n" + text, end="")
    print("mutate: report in %s" % os.path.relpath(os.path.join(WORK, "report.txt"), ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
