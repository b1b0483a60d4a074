/* The gateway's control page: a 4096-byte file (default /dev/shm/tickpath-gw-<name>.ctl)
 * mapped shared, so Python (or an operator) can pull the kill switch without talking to the
 * process:
 *   offset 0   magic "TPGWCTL1" (8 bytes)
 *   offset 8   kill (u8): nonzero = kill switch engaged -> the gateway cancels every open
 *              order and its risk check rejects every new order (reason kill_switch) until
 *              the byte is 0 again
 *   offset 16  pid (u64, little-endian) of the gateway that owns the page
 *   offset 24  kills (u64): times the gateway acted on the switch
 * From Python:  with open(path, "r+b") as f: f.seek(8); f.write(b"\x01")
 */
#ifndef TP_GW_CONTROL_H
#define TP_GW_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define TP_GW_CTL_SIZE 4096
#define TP_GW_CTL_KILL_OFF 8

typedef struct {
    char magic[8];
    volatile uint8_t kill;
    uint8_t pad[7];
    uint64_t pid;
    uint64_t kills;
} tp_gw_ctl;

/* Create (or reuse) and map the control page. NULL on failure (err). */
tp_gw_ctl *tp_gw_ctl_open(const char *path, char *err, size_t errlen);

#endif
