#!/usr/bin/env python3
"""Write a synthetic ClamAV signature database for bench/bench_scan.

The database has the shape of a real one, not its content: many hash
signatures (what most of ClamAV's official daily.cvd is) and some body
signatures, all random, so that loading, compiling and scanning cost about
what a database of that size costs.  Random 16-32 byte body signatures
essentially never match real input, so every scan runs to the end.

    python3 bench/gen_sigs.py OUTDIR [--hashes 500000] [--bodies 20000]
                                     [--hash-type md5|sha256] [--seed 1]

writes OUTDIR/synthetic.hdb (or .hsb for sha256) and OUTDIR/synthetic.ndb.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--hashes", type=int, default=500000)
    ap.add_argument("--bodies", type=int, default=20000)
    ap.add_argument("--hash-type", choices=("md5", "sha256"), default="md5")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    os.makedirs(args.outdir, exist_ok=True)

    bits = 128 if args.hash_type == "md5" else 256
    ext = "hdb" if args.hash_type == "md5" else "hsb"
    width = bits // 4
    path = os.path.join(args.outdir, "synthetic." + ext)
    with open(path, "w", encoding="ascii") as f:
        for i in range(args.hashes):
            # HashString:FileSize:MalwareName (ClamAV's .hdb/.hsb format).
            f.write("%0*x:%d:Mugaika.Synth.Hash.%d\n"
                    % (width, rnd.getrandbits(bits),
                       rnd.randint(64, 4 * 1024 * 1024), i))
    print("%s: %d hash signatures" % (path, args.hashes))

    path = os.path.join(args.outdir, "synthetic.ndb")
    with open(path, "w", encoding="ascii") as f:
        for i in range(args.bodies):
            n = rnd.randint(16, 32)
            # MalwareName:TargetType:Offset:HexSignature, any file, anywhere.
            f.write("Mugaika.Synth.Body.%d:0:*:%s\n"
                    % (i, rnd.getrandbits(8 * n).to_bytes(n, "big").hex()))
    print("%s: %d body signatures" % (path, args.bodies))


if __name__ == "__main__":
    main()
