#!/usr/bin/env python3
"""Two processes passing a byte back and forth over pipes for SECONDS seconds: a
workload for `just record-trace`. --nondumpable makes the pair non-dumpable
(prctl PR_SET_DUMPABLE 0, inherited across fork); --spec-ib asks for indirect
branch speculation to be disabled (prctl PR_SET_SPECULATION_CTRL), which sets
TIF_SPEC_IB under spectre_v2_user=prctl or seccomp."""
import ctypes, os, sys, time

PR_SET_DUMPABLE = 4
PR_SET_SPECULATION_CTRL = 53
PR_SPEC_INDIRECT_BRANCH = 1
PR_SPEC_DISABLE = 4

libc = ctypes.CDLL(None, use_errno=True)
seconds = float(sys.argv[1])
if "--nondumpable" in sys.argv:
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
if "--spec-ib" in sys.argv:
    if libc.prctl(PR_SET_SPECULATION_CTRL, PR_SPEC_INDIRECT_BRANCH, PR_SPEC_DISABLE, 0, 0) != 0:
        print("pingpong: PR_SET_SPECULATION_CTRL refused (errno %d)" % ctypes.get_errno(), file=sys.stderr)
a_r, a_w = os.pipe()
b_r, b_w = os.pipe()
end = time.monotonic() + seconds
if os.fork() == 0:
    while os.read(a_r, 1) == b"x":
        os.write(b_w, b"x")
    os._exit(0)
while time.monotonic() < end:
    os.write(a_w, b"x")
    os.read(b_r, 1)
    time.sleep(0.0005)
os.write(a_w, b"q")
os.wait()
