"""A server process's writers, run as `python -m tests.soak.writer_process URL TOWN.pickle N`
until it is killed: the kill -9 rounds of tests/soak/test_crash.py."""

from __future__ import annotations

import pickle
import sys
import threading

from tests.soak.load import Seen, writer


def main(url: str, town_file: str, n: int) -> None:
    with open(town_file, "rb") as fh:
        town = pickle.load(fh)
    seen, stop = Seen(), threading.Event()
    threads = [threading.Thread(target=writer, args=(url, town, seen, stop), daemon=True)
               for _ in range(n)]
    for t in threads:
        t.start()
    sys.stdout.write("writing\n")
    sys.stdout.flush()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
