#!/usr/bin/env bash
# The lab's VM trading host (trader-vm): a QEMU full-system VM with its own kernel, booted by its
# own grub from the image scripts/vm-image.sh builds, reached by Ansible over SSH as the deploy
# user (roles/lab starts and removes it when lab_vm is true; `make lab-vm`).
#
#   scripts/vm.sh start     boot it (no-op when running); waits until SSH answers
#   scripts/vm.sh stop      ACPI power-off, bounded wait, then kill (no-op when stopped)
#   scripts/vm.sh destroy   stop, then remove its overlay disk and run state (the image stays cached)
#   scripts/vm.sh status    "running" (exit 0) or "stopped" (exit 3)
#   scripts/vm.sh ssh [CMD] ssh to it as the deploy user, host key checked
#
# The machine: 4 vCPUs in 2 NUMA nodes (cpus 0-1 / 2-3, TICKPATH_VM_NODE_MEM each, default 3G:
# room for 2 MB and 1 GB hugepages on both nodes), virtio disk (a qcow2 overlay on the cached raw
# image, so a rebuild starts clean in a second), a management NIC (QEMU user-mode networking, SSH
# forwarded from 127.0.0.1:TICKPATH_VM_SSH_PORT) and a multi-queue virtio-net feed NIC (MSI-X, a
# vector per queue) on the tap device tpvm-feed, behind a PCI expander bridge on NUMA node 1.
# Serial console (ttyS0) in .cache/vm/run/serial.log.
#
# Accelerator: TCG (-accel tcg,thread=multi -cpu max). /dev/kvm exists on this project's machines
# but a guest kernel hangs in early boot under it (../shared/notes/machine.md); TICKPATH_VM_ACCEL=kvm
# tries KVM. Emulated timing means nothing: the VM is for function (boot, reboot, sysfs, IRQs).
#
# Scheduling: QEMU runs SCHED_IDLE and nice 19 (inherited by every vCPU thread). The machine has
# 2 vCPUs and the lab's latency gates measure on them: a TCG guest spinning 4 vCPUs must only
# ever get CPU time nobody else wants. The price is a slower VM while the lab is busy.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vmdir=${TICKPATH_VM_DIR:-$top/.cache/vm}
run=$vmdir/run
port=${TICKPATH_VM_SSH_PORT:-2222}
node_mem=${TICKPATH_VM_NODE_MEM:-3G}
queues=${TICKPATH_VM_FEED_QUEUES:-2}
feed_tap=${TICKPATH_VM_FEED_TAP:-tpvm-feed}
feed_node=${TICKPATH_VM_FEED_NODE-1}
accel=${TICKPATH_VM_ACCEL:-tcg}
boot_timeout=${TICKPATH_VM_BOOT_TIMEOUT:-900}
stop_timeout=${TICKPATH_VM_STOP_TIMEOUT:-120}
user=tickpath-deploy
key=$vmdir/ssh/deploy_ed25519
known_hosts=$run/known_hosts
pidfile=$run/qemu.pid
serial=$run/serial.log
qmp=$run/qmp.sock

say() { printf '\033[1m[vm]\033[0m %s\n' "$*"; }
die() { echo "vm: $*" >&2; exit 1; }

pid_alive() {
    [[ -f $pidfile ]] || return 1
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -qE "qemu|tp-trader-vm" "/proc/$pid/comm" 2>/dev/null
}

ssh_opts() {
    printf '%s\n' -i "$key" -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes \
        -o UserKnownHostsFile="$known_hosts" -o StrictHostKeyChecking=yes -o ConnectTimeout=10
}

qmp_cmd() { # qmp_cmd COMMAND: one QMP command on the monitor socket
    python3 - "$qmp" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    f.readline()
PY
}

wait_ssh() {
    local start=$1 deadline=$(($1 + boot_timeout))
    while :; do
        if ssh $(ssh_opts) "$user@127.0.0.1" true 2>/dev/null; then
            say "ssh answers after $(($(date +%s) - start))s ($user@127.0.0.1:$port)"
            return 0
        fi
        pid_alive || die "QEMU exited while booting; serial console: $serial
$(tail -20 "$serial" 2>/dev/null)"
        if (($(date +%s) >= deadline)); then
            die "no SSH on 127.0.0.1:$port after ${boot_timeout}s (TICKPATH_VM_BOOT_TIMEOUT); the VM is left running for a look: serial console $serial, last lines:
$(tail -20 "$serial" 2>/dev/null)"
        fi
        sleep 5
    done
}

start() {
    if pid_alive; then
        say "running (pid $(cat "$pidfile"))"
        wait_ssh "$(date +%s)"
        echo "state=running"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "must run as root (tap device)"
    [[ -e $vmdir/base.raw && -e $vmdir/base.hostkey.pub ]] || die "no image: run scripts/vm-image.sh first"
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/install-deps.sh --vm)"
    mkdir -p "$run"
    if [[ ! -f $run/overlay.qcow2 ]]; then
        qemu-img create -q -f qcow2 -F raw -b "$(readlink -f "$vmdir/base.raw")" "$run/overlay.qcow2"
    fi
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$vmdir/base.hostkey.pub")" >"$known_hosts"
    rm -f "$pidfile" "$qmp"

    local accel_args
    case $accel in
        tcg) accel_args=(-accel tcg,thread=multi -cpu max) ;;
        kvm) accel_args=(-accel kvm -cpu host) ;;
        *) die "TICKPATH_VM_ACCEL=$accel: tcg or kvm" ;;
    esac
    local feed_bus=()
    if [[ -n $feed_node ]]; then
        # A PCI expander bridge on NUMA node feed_node: the guest sees the feed NIC's
        # numa_node/local_cpulist, as for a NIC in the second socket of a server.
        feed_bus=(-device "pxb,id=pxb$feed_node,bus_nr=64,numa_node=$feed_node,bus=pci.0")
        feed_bus_opt=",bus=pxb$feed_node,addr=0x1"
    else
        feed_bus_opt=""
    fi
    : >"$serial"
    local started
    started=$(date +%s)
    say "starting QEMU ($accel, 4 vCPUs in 2 NUMA nodes, $node_mem each, feed NIC $feed_tap with $queues queues; SCHED_IDLE, nice 19)"
    chrt --idle 0 nice -n 19 qemu-system-x86_64 \
        -name trader-vm,process=tp-trader-vm \
        -machine pc \
        "${accel_args[@]}" \
        -smp 4,sockets=2,cores=2,threads=1 \
        -m "$(( $(numfmt --from=iec "$node_mem") * 2 / 1048576 ))M" \
        -object "memory-backend-ram,id=mem0,size=$node_mem" \
        -object "memory-backend-ram,id=mem1,size=$node_mem" \
        -numa node,nodeid=0,cpus=0-1,memdev=mem0 \
        -numa node,nodeid=1,cpus=2-3,memdev=mem1 \
        -drive "file=$run/overlay.qcow2,if=none,id=disk0,format=qcow2" \
        -device virtio-blk-pci,drive=disk0,bus=pci.0 \
        -netdev "user,id=mgmt,hostfwd=tcp:127.0.0.1:$port-:22" \
        -device virtio-net-pci,netdev=mgmt,mac=52:54:00:7e:00:01,bus=pci.0 \
        "${feed_bus[@]}" \
        -netdev "tap,id=feed,ifname=$feed_tap,script=no,downscript=no,queues=$queues" \
        -device "virtio-net-pci,netdev=feed,mq=on,vectors=$((2 * queues + 2)),mac=52:54:00:7e:00:0a$feed_bus_opt" \
        -display none -vga none \
        -serial "file:$serial" \
        -qmp "unix:$qmp,server=on,wait=off" \
        -pidfile "$pidfile" \
        -daemonize
    say "pid $(cat "$pidfile"), serial console $serial"
    wait_ssh "$started"
    echo "$(($(date +%s) - started))" >"$run/boot-seconds"
    echo "state=started"
}

stop() {
    if ! pid_alive; then
        rm -f "$pidfile" "$qmp"
        say "stopped"
        echo "state=stopped"
        return 0
    fi
    local pid deadline
    pid=$(cat "$pidfile")
    say "powering off (ACPI, up to ${stop_timeout}s)"
    qmp_cmd system_powerdown 2>/dev/null || true
    deadline=$(($(date +%s) + stop_timeout))
    while kill -0 "$pid" 2>/dev/null && (($(date +%s) < deadline)); do sleep 2; done
    if kill -0 "$pid" 2>/dev/null; then
        say "no clean power-off after ${stop_timeout}s: killing QEMU $pid"
        kill "$pid" 2>/dev/null || true
        sleep 3
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile" "$qmp"
    echo "state=stopped_now"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    destroy)
        stop
        if [[ -d $run ]]; then rm -rf "$run"; echo "state=destroyed"; fi ;;
    status)
        if pid_alive; then echo running; else echo stopped; exit 3; fi ;;
    ssh)
        shift
        exec ssh $(ssh_opts) "$user@127.0.0.1" "$@" ;;
    *) echo "usage: $0 start|stop|destroy|status|ssh [CMD]" >&2; exit 2 ;;
esac
