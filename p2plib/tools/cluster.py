"""Training on several workers: ``TF_CONFIG``, the strategy, and local workers to try it.

Introduced in notebook 10, after the course. ``tf.distribute.MultiWorkerMirroredStrategy``
trains one model on several processes, on one machine or several, each worker listening on
its own ``HOST:PORT``; the ``TF_CONFIG`` environment variable tells each worker the cluster
and its own place in it::

    {"cluster": {"worker": ["host1:2222", "host2:2222"]}, "task": {"type": "worker", "index": 0}}

``read_tf_config`` reads and checks it (a mistake is one ``ConfigError`` line naming it),
``WorkerSetup.of_workers`` builds the same from a list of addresses and an index (the
command line's ``--workers`` and ``--worker-index``), and ``create_strategy`` makes the
strategy, which must come before any other TensorFlow call of the process, waiting a bounded
time for the other workers and saying whom it waits for. Worker 0 (or the ``chief`` task) is
the chief: it alone writes the run's files. ``LocalWorkers`` (and ``python -m p2plib.tools.cluster
N COMMAND...``) starts N workers on this machine on free 127.0.0.1 ports, each with its
``TF_CONFIG``, streams their output line by line, and stops them all when one fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import tensorflow as tf

from p2plib import checks
from p2plib.errors import ArgumentError, CommandError, ConfigError

TF_CONFIG_ENV = "TF_CONFIG"
JOBS = ("chief", "worker")  # the tasks MultiWorkerMirroredStrategy trains with
EXAMPLE = ('{"cluster": {"worker": ["host1:2222", "host2:2222"]}, '
           '"task": {"type": "worker", "index": 0}}')
WAIT_SECONDS = 600.0
"""How long a worker waits for the others to join, and for any one exchange with them."""
EXIT_USAGE = 2

__all__ = ["EXAMPLE", "LocalWorkers", "TF_CONFIG_ENV", "WAIT_SECONDS", "WorkerSetup",
           "check_address", "create_strategy", "free_ports", "local_addresses",
           "lost_peer_message", "read_tf_config"]


# --------------------------------------------------------------------------- the cluster


@dataclass(frozen=True)
class WorkerSetup:
    """One worker's view of the cluster: every task's address and which task this one is.

    ``cluster`` maps ``"chief"`` (at most one address) and ``"worker"`` to ``HOST:PORT``
    tuples; ``task_type`` and ``task_index`` place this worker in it.
    """

    cluster: dict
    task_type: str
    task_index: int

    @classmethod
    def of_workers(cls, addresses, index: int) -> WorkerSetup:
        """Workers at ``addresses`` (``HOST:PORT`` strings, or one comma-separated string),
        this one at ``index``: what ``--workers`` and ``--worker-index`` describe."""
        if isinstance(addresses, str):
            addresses = [part.strip() for part in addresses.split(",") if part.strip()]
        addresses = tuple(check_address(address, "a worker address") for address in addresses)
        if not addresses:
            raise ArgumentError("the workers must list at least one HOST:PORT, e.g. "
                                "127.0.0.1:2222,127.0.0.1:2223.")
        index = checks.integer(index, "the worker index", minimum=0, example=0)
        if index >= len(addresses):
            raise ArgumentError(f"the worker index {index} is outside the {len(addresses)} "
                                f"workers listed (indices 0 to {len(addresses) - 1}).")
        return cls({"worker": addresses}, "worker", index)

    @property
    def tasks(self) -> list[tuple[str, str]]:
        """``(name, address)`` of every task in TensorFlow's order: the chief, then workers."""
        named = [("chief", address) for address in self.cluster.get("chief", ())]
        named += [(f"worker {i}", address) for i, address in enumerate(self.cluster["worker"])]
        return named

    @property
    def name(self) -> str:
        """``"worker 1"``, or ``"chief"``."""
        return "chief" if self.task_type == "chief" else f"worker {self.task_index}"

    @property
    def count(self) -> int:
        """The number of workers training together (the chief included)."""
        return len(self.tasks)

    @property
    def address(self) -> str:
        return self.cluster[self.task_type][self.task_index]

    @property
    def is_chief(self) -> bool:
        """Whether this worker writes the run (the chief task, else worker 0)."""
        if "chief" in self.cluster:
            return self.task_type == "chief"
        return self.task_index == 0

    @property
    def folder_name(self) -> str:
        """A name for this worker's own folder: ``"chief"`` or ``"worker-1"``."""
        return self.name.replace(" ", "-")

    def others(self) -> list[str]:
        """The other tasks as ``"worker 1 (127.0.0.1:2223)"``."""
        return [f"{name} ({address})" for name, address in self.tasks if name != self.name]

    def name_of(self, task_type: str, task_index: int) -> str:
        """The name of another task of the cluster, with its address when known."""
        name = "chief" if task_type == "chief" else f"worker {task_index}"
        addresses = self.cluster.get(task_type, ())
        return f"{name} ({addresses[task_index]})" if task_index < len(addresses) else name

    def tf_config(self) -> str:
        """The ``TF_CONFIG`` value that describes this worker."""
        return json.dumps({"cluster": {job: list(addresses) for job, addresses
                                       in self.cluster.items()},
                           "task": {"type": self.task_type, "index": self.task_index}})


def check_address(address, what: str = "the address") -> str:
    """``HOST:PORT`` with a port from 1 to 65535 (IPv6 hosts in brackets: ``[::1]:2222``)."""
    text = address if isinstance(address, str) else None
    host, _, port = (text or "").strip().rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ArgumentError(f"{what} must be HOST:PORT with a port from 1 to 65535, e.g. "
                            f"127.0.0.1:2222; got {address!r}.")
    return f"{host}:{int(port)}"


def read_tf_config(text: str | None = None, source: str = TF_CONFIG_ENV) -> WorkerSetup | None:
    """The ``WorkerSetup`` that ``TF_CONFIG`` (or ``text``) describes, or None when it is unset
    or empty (one machine). Anything else that does not describe a worker of a cluster is a
    one-line ``ConfigError`` naming ``source`` and what to change."""
    text = os.environ.get(TF_CONFIG_ENV) if text is None else text
    if text is None or not text.strip():
        return None
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{source} is not JSON ({error.msg} at character {error.pos}); "
                          f"set it to e.g. {EXAMPLE}, or unset it to train on one machine."
                          ) from None
    if not isinstance(values, dict):
        raise ConfigError(f"{source} must be a JSON object such as {EXAMPLE}; got "
                          f"{type(values).__name__} {text.strip()[:60]}.")
    cluster = _read_cluster(values.get("cluster"), source)
    task = values.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        workers = len(cluster.get("worker", ()))
        raise ConfigError(f'{source} names no task: add "task": {{"type": "worker", "index": '
                          f"N}} with this worker's index N (0 to {workers - 1}), e.g. "
                          f"{EXAMPLE}.")
    task_type, index = task["type"], task["index"]
    if task_type not in cluster:
        raise ConfigError(f"{source}: the task type {task_type!r} is not a job of its cluster "
                          f"({', '.join(cluster)}); use one of them.")
    if isinstance(index, bool) or not isinstance(index, int):
        raise ConfigError(f"{source}: the task index must be a whole number, got {index!r}.")
    addresses = cluster[task_type]
    if not 0 <= index < len(addresses):
        raise ConfigError(f"{source}: the task index {index} is outside the cluster, whose "
                          f"{task_type!r} job lists {len(addresses)} address(es) (indices 0 to "
                          f"{len(addresses) - 1}); give each worker its own index.")
    return WorkerSetup(cluster, task_type, index)


def _read_cluster(cluster, source: str) -> dict:
    if not isinstance(cluster, dict) or not cluster:
        raise ConfigError(f'{source} has no "cluster" listing the workers, e.g. {EXAMPLE}.')
    other = sorted(set(cluster) - set(JOBS))
    if other:
        raise ConfigError(f"{source} lists the jobs {other}; training here takes only 'chief' "
                          "and 'worker' tasks (MultiWorkerMirroredStrategy): drop the others.")
    if "worker" not in cluster:
        raise ConfigError(f'{source} lists no "worker" addresses; e.g. {EXAMPLE}.')
    read = {}
    for job in JOBS:
        if job not in cluster:
            continue
        addresses = cluster[job]
        if not isinstance(addresses, list) or not addresses:
            raise ConfigError(f'{source}: "{job}" must be a list of HOST:PORT addresses, got '
                              f"{addresses!r}.")
        try:
            read[job] = tuple(check_address(address, f'{source}: an address of "{job}"')
                              for address in addresses)
        except ArgumentError as error:
            raise ConfigError(str(error)) from None
    if len(read.get("chief", ())) > 1:
        raise ConfigError(f'{source} lists {len(read["chief"])} chiefs; a cluster has one.')
    return read


# --------------------------------------------------------------------------- the strategy


def create_strategy(setup: WorkerSetup, wait_seconds: float = WAIT_SECONDS):
    """``tf.distribute.MultiWorkerMirroredStrategy`` for this worker, once all have joined.

    Call it before any other TensorFlow call of the process. Says whom it waits for. After
    ``wait_seconds`` without them a watchdog process prints one line saying so and kills this
    one: TensorFlow waits inside C++ code that holds Python's lock, so nothing in this process
    could stop it, nor does it answer SIGTERM. The same limit applies to every exchange between
    workers afterwards (``CommunicationOptions``), so a worker that stops answering ends the
    run with an error rather than a hang; a worker whose process ends is noticed at once.
    """
    wait_seconds = checks.number(wait_seconds, "wait_seconds", above=0, example=600)
    others = ", ".join(setup.others()) or "no one"
    print(f"{setup.name} of {setup.count} ({setup.address}): waiting for {others} to join "
          f"(up to {wait_seconds:g} s).", flush=True)
    watchdog = _watchdog(wait_seconds, f"error: {setup.name} waited {wait_seconds:g} s for "
                         f"{others} and gave up; start every worker with the same cluster and "
                         "its own index (and open their ports), then run again.",
                         f"error: {setup.name} stopped while waiting for {others}.")
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({job: list(addresses) for job, addresses in setup.cluster.items()}),
        task_type=setup.task_type, task_id=setup.task_index, rpc_layer="grpc")
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=wait_seconds)
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy(
            cluster_resolver=resolver, communication_options=options)
    except tf.errors.OpError as error:
        raise CommandError(f"{setup.name} could not join {others}: {first_line(error)}; start "
                           "every worker with the same cluster and its own index, and check "
                           "that their ports are open.") from None
    finally:
        watchdog.stdin.close()  # the watchdog ends when its input does
        watchdog.wait()
    print(f"All {setup.count} workers joined; {setup.name} trains on its share of each batch.",
          flush=True)
    return strategy


_WATCHDOG = """
import os, select, signal, sys
parent, seconds, late, stopped = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
def stop(message):
    print(message, file=sys.stderr, flush=True)
    os.kill(parent, signal.SIGKILL)
    os._exit(0)
for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, lambda *_: stop(stopped))
if not select.select([sys.stdin], [], [], seconds)[0]:
    stop(late)
"""


def _watchdog(seconds: float, late: str, stopped: str) -> subprocess.Popen:
    """A process that prints ``late`` and kills this one unless its input is closed within
    ``seconds`` (or this process ends first). Ctrl-C or SIGTERM, which reach it too, print
    ``stopped`` and kill this one at once: the waiting process itself cannot answer them."""
    sys.stdout.flush()
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(seconds),
                             late, stopped], stdin=subprocess.PIPE)


LOST_PEER_ERRORS = ("UnavailableError", "DeadlineExceededError", "AbortedError",
                    "CancelledError")
_REMOTE_TASK = re.compile(r"/job:(\w+)/replica:\d+/task:(\d+)")


def lost_peer_message(error: BaseException, setup: WorkerSetup) -> str | None:
    """One line for an error that means another worker stopped or cannot be reached, naming
    it when TensorFlow does; None for any other error."""
    if type(error).__name__ not in LOST_PEER_ERRORS:
        return None
    text = str(error)
    peers = {setup.name_of(job, int(index)) for job, index in _REMOTE_TASK.findall(text)}
    peers.discard(setup.name_of(setup.task_type, setup.task_index))
    who = " and ".join(sorted(peers)) or "another worker"
    return (f"{setup.name} lost {who} during training ({type(error).__name__}: "
            f"{_cause(text)}): a worker stopped or cannot be reached")


def first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0][:200] if lines else 'no details'}"


def _cause(text: str) -> str:
    """The line of a TensorFlow error that says what happened, not where."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "aborted by" in line or "Deadline" in line or "Socket closed" in line:
            return line[:200]
    return lines[0][:200] if lines else "no details"


# --------------------------------------------------------------------------- local workers


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports on ``host`` that are free right now."""
    count = checks.integer(count, "count", minimum=1, example=2)
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind((host, 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def local_addresses(count: int) -> list[str]:
    """``count`` worker addresses on free 127.0.0.1 ports."""
    return [f"127.0.0.1:{port}" for port in free_ports(count)]


class LocalWorkers:
    """``count`` workers of one cluster as processes on this machine.

    Each runs ``command`` (an argument list, e.g. ``[sys.executable, "-m", "p2plib", "train",
    ...]``) with ``TF_CONFIG`` naming its index among ``addresses`` (default: free 127.0.0.1
    ports), in a process group of its own. Their output is streamed line by line to
    ``output`` (None: kept only), each line prefixed with ``[worker N]``, and kept in
    ``.lines[N]``. ``wait`` returns their exit codes; when one fails, the others have
    ``grace_seconds`` to stop on their own before they are killed. Use it as a context
    manager: leaving the block kills whatever still runs.
    """

    def __init__(self, command, count: int = 2, addresses=None, env=None, cwd=None,
                 output=sys.stdout, grace_seconds: float = 60.0):
        self.command = [str(part) for part in command]
        self.addresses = list(addresses) if addresses else local_addresses(count)
        self.setups = [WorkerSetup.of_workers(self.addresses, index)
                       for index in range(len(self.addresses))]
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.output = output
        self.grace_seconds = checks.number(grace_seconds, "grace_seconds", minimum=0,
                                           example=60)
        self.processes: dict[int, subprocess.Popen] = {}
        self.lines: dict[int, list[str]] = {index: [] for index in range(len(self.addresses))}
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, indices=None) -> LocalWorkers:
        """Start the workers at ``indices`` (default: all)."""
        for index in range(len(self.addresses)) if indices is None else indices:
            env = {**self.env, TF_CONFIG_ENV: self.setups[index].tf_config()}
            process = subprocess.Popen(
                self.command, env=env, cwd=self.cwd, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
            self.processes[index] = process
            reader = threading.Thread(target=self._stream, args=(index, process), daemon=True)
            reader.start()
            self._readers.append(reader)
        return self

    def _stream(self, index: int, process: subprocess.Popen):
        for line in process.stdout:
            line = line.rstrip("\n")
            with self._lock:
                self.lines[index].append(line)
                if self.output is not None:
                    print(f"[worker {index}] {line}", file=self.output, flush=True)

    def text(self, index: int) -> str:
        """Everything worker ``index`` has printed so far."""
        with self._lock:
            return "\n".join(self.lines[index])

    def running(self) -> list[int]:
        return [index for index, process in self.processes.items() if process.poll() is None]

    def wait(self, timeout: float | None = None) -> dict[int, int]:
        """Wait for every started worker; return ``{index: exit code}`` (-9: killed).

        When one ends with an error, the others get ``grace_seconds`` to stop by themselves
        and are then killed. After ``timeout`` seconds all that still run are killed and
        ``TimeoutError`` says which.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        stop_by = None
        while self.running():
            now = time.monotonic()
            if deadline is not None and now > deadline:
                stuck = self.running()
                self.stop()
                raise TimeoutError(f"worker(s) {stuck} still ran after {timeout:g} s; stopped.")
            failed = [i for i, p in self.processes.items() if p.poll() not in (None, 0)]
            if failed and stop_by is None:
                stop_by = now + self.grace_seconds
                self._note(f"worker {failed[0]} ended with exit code "
                           f"{self.processes[failed[0]].returncode}; the others stop now.")
            if stop_by is not None and now > stop_by:
                self.stop()
            time.sleep(0.05)
        for reader in self._readers:
            reader.join(timeout=5)
        return {index: process.returncode for index, process in self.processes.items()}

    def _note(self, text: str):
        with self._lock:
            if self.output is not None:
                print(f"[workers] {text}", file=self.output, flush=True)

    def signal(self, index: int, signal_number: int = signal.SIGKILL):
        """Send a signal to worker ``index``'s process group (default: kill it)."""
        process = self.processes[index]
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal_number)
            except ProcessLookupError:
                pass

    def stop(self):
        """Kill every worker that still runs. (TensorFlow's workers catch SIGTERM, so it is
        SIGKILL; a checkpoint cut short by it is skipped when the run resumes.)"""
        for index in self.running():
            self.signal(index, signal.SIGKILL)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc_info):
        self.stop()


def main(argv=None) -> int:
    """``python -m p2plib.tools.cluster N COMMAND...``: run N workers of COMMAND on this machine.

    For example ``python -m p2plib.tools.cluster 2 python -m p2plib train --quick --dataset
    synthetic-facades --run-dir runs/two-workers``. Exits with the first non-zero exit code of
    the workers, else 0.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) < 2 or not argv[0].isdigit() or int(argv[0]) < 1:
        print("usage: python -m p2plib.tools.cluster N COMMAND [ARGUMENTS...]\n"
              "runs N workers of COMMAND on free 127.0.0.1 ports, each with its TF_CONFIG, "
              "e.g. python -m p2plib.tools.cluster 2 python -m p2plib train --quick --dataset "
              "synthetic-facades --run-dir runs/two-workers", file=sys.stderr)
        return EXIT_USAGE
    command = argv[1:]
    if command[0] in ("python", "python3"):
        command[0] = sys.executable
    # Stopped by SIGTERM, leave through the `with` block below, which kills the workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    with LocalWorkers(command, int(argv[0])) as workers:
        print(f"[workers] {len(workers.addresses)} workers at {', '.join(workers.addresses)}; "
              f"the chief is worker 0.", flush=True)
        workers.start()
        try:
            codes = workers.wait()
        except KeyboardInterrupt:
            workers.stop()
            return 130
    failed = [code for code in codes.values() if code != 0]
    return (failed[0] if failed[0] > 0 else 1) if failed else 0


if __name__ == "__main__":
    sys.exit(main())
