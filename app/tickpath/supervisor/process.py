"""Supervise one C program: start it pinned, restart it on a crash, stop it cleanly.

Policy:
- start: the child gets its CPU affinity, SCHED_FIFO priority (when asked) and an unlimited
  RLIMIT_MEMLOCK (raised to the hard limit; the C programs mlockall) before exec;
- crash (non-zero exit or death by signal while not stopping): restart after a backoff that
  doubles from `backoff_initial` up to `backoff_max` and resets once a run lasted
  `stable_after` seconds; more than `max_restarts` restarts inside `restart_window` seconds
  and the supervisor gives up and exits with the child's status, so systemd sees a failure;
- clean exit (status 0) while not stopping: the supervisor exits 0 (nothing to restart);
- SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the supervisor are forwarded to the
  child (FORWARD_SIGNALS); on SIGTERM and SIGINT the supervisor stops: it waits `stop_timeout`
  seconds for the child, then SIGKILLs it. The exit status is 0 when the child ended because of
  the forwarded signal (by exiting or by dying of it), else the child's status (128+N for death
  by signal N). The other forwarded signals do not stop the supervisor; what the C programs do
  with them (app/src/common/signals.h, each program's README): SIGUSR2 = write the stats file
  now and keep running, SIGHUP = ignored (no reload), SIGUSR1 = ignored (tickpath-sim: drop its
  OUCH sessions), SIGQUIT = the default action (quit with a core dump, no stats: a crash, so
  the supervisor restarts the child).

The supervisor never polls: it blocks in waitpid(); signals interrupt it, an interval timer
(SIGALRM) delivers the stop deadline, backoff sleeps wake early on a signal (self-pipe).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import resource
import select
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger("tickpath.supervisor")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
FORWARD_SIGNALS = (*STOP_SIGNALS, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


@dataclass(frozen=True)
class RestartPolicy:
    """When and how fast to restart a crashed child."""

    max_restarts: int = 5
    restart_window: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    stable_after: float = 10.0
    stop_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.max_restarts < 0:
            raise ValueError("max_restarts must be >= 0")
        for name in ("restart_window", "backoff_initial", "backoff_max", "stable_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.stop_timeout <= 0:
            raise ValueError("stop_timeout must be > 0")

    def backoff(self, consecutive_crashes: int) -> float:
        """Delay before restart number `consecutive_crashes` (1 = first restart)."""
        exponent = max(0, consecutive_crashes - 1)
        return float(min(self.backoff_max, self.backoff_initial * (2.0 ** min(exponent, 30))))


def status_of(returncode: int) -> int:
    """Popen returncode (negative = killed by signal) to a shell-style exit status."""
    return 128 - returncode if returncode < 0 else returncode


def child_setup(cpus: frozenset[int], rt_priority: int) -> Callable[[], None]:
    """The pre-exec hook: affinity, scheduling, memlock limit (runs in the forked child)."""

    def setup() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)
        _soft, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
        try:
            resource.setrlimit(resource.RLIMIT_MEMLOCK, (hard, hard))
            if hard != resource.RLIM_INFINITY:
                resource.setrlimit(
                    resource.RLIMIT_MEMLOCK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
                )
        except (OSError, ValueError):
            pass  # not privileged to raise the hard limit: the soft limit is now at least hard
        if rt_priority:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(rt_priority))
        for sig in FORWARD_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())

    return setup


def check_launch(cpus: frozenset[int], rt_priority: int) -> None:
    """Fail early, in the parent, with a clear message for what the child would fail on."""
    if cpus:
        try:
            before = os.sched_getaffinity(0)
            os.sched_setaffinity(0, cpus)
            os.sched_setaffinity(0, before)
        except OSError as exc:
            raise LaunchError(f"cannot pin to CPUs {sorted(cpus)}: {exc.strerror}") from None
    if rt_priority:
        low = os.sched_get_priority_min(os.SCHED_FIFO)
        high = os.sched_get_priority_max(os.SCHED_FIFO)
        if not low <= rt_priority <= high:
            raise LaunchError(f"rt_priority {rt_priority} outside SCHED_FIFO range {low}..{high}")
        try:
            policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(rt_priority))
            os.sched_setscheduler(0, policy, param)
        except OSError as exc:
            raise LaunchError(
                f"cannot use SCHED_FIFO priority {rt_priority}: {exc.strerror} "
                "(needs CAP_SYS_NICE or an RLIMIT_RTPRIO allowance)"
            ) from None


class LaunchError(RuntimeError):
    """The child cannot be started as planned (missing program, affinity, priority)."""


class Supervisor:
    """Run `argv` under `policy` until it exits cleanly, gives up, or is told to stop."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cpus: frozenset[int] = frozenset(),
        rt_priority: int = 0,
        policy: RestartPolicy | None = None,
        env: dict[str, str] | None = None,
        name: str | None = None,
    ) -> None:
        if not argv:
            raise ValueError("argv must not be empty")
        self.argv = list(argv)
        self.cpus = cpus
        self.rt_priority = rt_priority
        self.policy = policy or RestartPolicy()
        self.env = env
        self.name = name or os.path.basename(self.argv[0])
        self.child: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.stopping = False
        self._stop_signal: int | None = None
        self._killed = False
        self._pending_signal: int | None = None
        self._wake_r, self._wake_w = -1, -1

    # --- signals ---------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum in STOP_SIGNALS and not self.stopping:
            self.stopping = True
            self._stop_signal = signum
            signal.setitimer(signal.ITIMER_REAL, self.policy.stop_timeout)
        child = self.child
        if child is None:
            # between fork and `self.child = ...`: forwarded once the child is known
            self._pending_signal = signum
        elif child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signum)

    def _forward_pending(self, child: subprocess.Popen[bytes]) -> None:
        signum, self._pending_signal = self._pending_signal, None
        if signum is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signum)

    def _on_alarm(self, _signum: int, _frame: FrameType | None) -> None:
        child = self.child
        if child is not None and child.returncode is None:
            log.warning(
                "%s: did not stop within %.1fs, sending SIGKILL",
                self.name,
                self.policy.stop_timeout,
            )
            self._killed = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)

    def _install(self) -> list[tuple[int, Callable[[int, FrameType | None], object] | int | None]]:
        saved: list[tuple[int, Callable[[int, FrameType | None], object] | int | None]] = []
        for sig in FORWARD_SIGNALS:
            saved.append((sig, signal.signal(sig, self._on_signal)))
        saved.append((signal.SIGALRM, signal.signal(signal.SIGALRM, self._on_alarm)))
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._old_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        return saved

    def _restore(
        self, saved: list[tuple[int, Callable[[int, FrameType | None], object] | int | None]]
    ) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.set_wakeup_fd(self._old_wakeup)
        for sig, handler in saved:
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, returning early when a stop signal arrives."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self._wake_r], [], [], left)
            if ready:
                try:
                    while os.read(self._wake_r, 512):
                        pass
                except BlockingIOError:
                    pass

    # --- one run ---------------------------------------------------------------------------
    def _start(self) -> subprocess.Popen[bytes]:
        try:
            child = subprocess.Popen(
                self.argv,
                env=self.env,
                preexec_fn=child_setup(self.cpus, self.rt_priority),
                close_fds=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise LaunchError(f"cannot start {self.argv[0]}: {exc}") from None
        self.starts += 1
        log.info("%s: started pid %d (start #%d)", self.name, child.pid, self.starts)
        return child

    def _wait(self, child: subprocess.Popen[bytes]) -> int:
        while True:
            try:
                return child.wait()
            except OSError as exc:  # pragma: no cover - EINTR is retried by Python itself
                if exc.errno != errno.EINTR:
                    raise

    # --- the loop --------------------------------------------------------------------------
    def run(self) -> int:
        """Supervise until done; return the exit status for the caller (and systemd)."""
        check_launch(self.cpus, self.rt_priority)
        saved = self._install()
        try:
            return self._loop()
        finally:
            self._restore(saved)

    def _loop(self) -> int:
        restarts: deque[float] = deque()
        consecutive = 0
        while True:
            started = time.monotonic()
            self.child = None
            child = self._start()
            self.child = child
            self._forward_pending(child)
            returncode = self._wait(child)
            ran = time.monotonic() - started
            status = status_of(returncode)
            if self.stopping:
                signal.setitimer(signal.ITIMER_REAL, 0)
                stop = self._stop_signal
                clean = not self._killed and (
                    returncode == 0 or (stop is not None and returncode == -stop)
                )
                log.info("%s: stopped (status %d)", self.name, status)
                return 0 if clean else (status or 1)
            if returncode == 0:
                log.info("%s: exited cleanly", self.name)
                return 0
            log.warning(
                "%s: pid %d failed with status %d after %.2fs",
                self.name,
                self.child.pid,
                status,
                ran,
            )
            consecutive = 1 if ran >= self.policy.stable_after else consecutive + 1
            now = time.monotonic()
            while restarts and now - restarts[0] > self.policy.restart_window:
                restarts.popleft()
            if len(restarts) >= self.policy.max_restarts:
                log.error(
                    "%s: %d restarts within %.0fs, giving up (status %d)",
                    self.name,
                    len(restarts),
                    self.policy.restart_window,
                    status,
                )
                return status
            delay = self.policy.backoff(consecutive)
            log.info("%s: restarting in %.2fs", self.name, delay)
            self._sleep(delay)
            if self.stopping:
                log.info("%s: stop requested during backoff", self.name)
                return 0
            restarts.append(time.monotonic())
