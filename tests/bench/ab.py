#!/usr/bin/env python3
"""Side-by-side timing of short commands, for comparing two builds on one machine.

The speed of this machine drifts by 30% within minutes, more than most changes are worth, so
two medians taken one after the other mislead. This runs the commands in turns (A B C, then
C B A, ...), each started with posix_spawn and its output sent to /dev/null, and prints each
command's median wall time with the quartiles.

Usage: tests/bench/ab.py [-n ROUNDS] 'CMD A ...' 'CMD B ...' ...
A command may start with NAME=VALUE words: they are set in its environment only.
Example (in an instance directory, with two installed builds):
  tests/bench/ab.py -n 400 '/tmp/old/bin/occ user:list' '/tmp/new/bin/occ user:list'
"""
import argparse
import os
import shlex
import statistics
import time


def parse(command):
    words = shlex.split(command)
    env = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith("/"):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return words, env


def run_once(words, env, devnull):
    start = time.perf_counter_ns()
    pid = os.posix_spawnp(
        words[0],
        words,
        env,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ],
    )
    os.waitpid(pid, 0)
    return (time.perf_counter_ns() - start) / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=300)
    ap.add_argument("commands", nargs="+")
    args = ap.parse_args()
    commands = [parse(c) for c in args.commands]
    times = [[] for _ in commands]
    devnull = os.open(os.devnull, os.O_WRONLY)
    for r in range(-10, args.rounds):  # ten rounds of warm-up
        order = range(len(commands)) if r % 2 == 0 else reversed(range(len(commands)))
        for i in order:
            t = run_once(*commands[i], devnull)
            if r >= 0:
                times[i].append(t)
    for command, t in zip(args.commands, times):
        q1, median, q3 = statistics.quantiles(t, n=4)
        print(f"{median:7.3f} ms (quartiles {q1:.3f} {q3:.3f})  {command}")


if __name__ == "__main__":
    main()
