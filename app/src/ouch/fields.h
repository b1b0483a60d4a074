/* The firm-specific one-letter fields of an OUCH 4.2 Enter Order (Display, Capacity,
 * Intermarket Sweep Eligibility, Cross Type, Customer Type; a Replace Order carries Display
 * and ISO too) and the values NASDAQ's OUCH 4.2 specification allows for each.
 *
 * Sources for the value lists (the spec, OUCH4.2.pdf on nasdaqtrader.com, as transcribed in):
 * - Open-Markets-Initiative/omi-kaitai-struct-definitions,
 *   nasdaq/nsmequities/orders/NsmEquities_Orders_v4_2.ksy (generated from OUCH4.2.pdf,
 *   7/8/2019: the enums display, capacity, intermarket_sweep_eligibility, cross_type,
 *   customer_type, and "Capacity: values other than A, P or R will be converted to O");
 * - Open-Markets-Initiative/wireshark-lua,
 *   Nasdaq/Nasdaq.Equities.Orders.Ouch.v4.2.Script.Dissector.lua (the same lists);
 * - Wireshark's epan/dissectors/packet-ouch.c (value names; the Rejected reasons: 'D'
 *   Invalid Display Type, 'O' Other; no reason names Capacity, ISO, Cross Type or Customer
 *   Type).
 * The tickpath gateway reads its values from config (src/gw/README.md, keys ouch.*); the
 * simulator checks what it receives against the same lists (src/sim/README.md).
 */
#ifndef TP_OUCH_FIELDS_H
#define TP_OUCH_FIELDS_H

#include <stdint.h>

typedef enum {
    TP_OUCH_F_DISPLAY = 0,
    TP_OUCH_F_CAPACITY,
    TP_OUCH_F_ISO,
    TP_OUCH_F_CROSS_TYPE,
    TP_OUCH_F_CUSTOMER_TYPE,
    TP_OUCH_F_COUNT,
} tp_ouch_field;

/* One value per field, in the order of tp_ouch_field. */
typedef struct {
    uint8_t display, capacity, iso, cross_type, customer_type;
} tp_ouch_order_fields;

/* A proprietary trading firm's order: displayed anonymously ('Y', Anonymous-Price to
 * Comply), principal ('P'), not an intermarket sweep ('N'), continuous market ('N'), not
 * retail designated ('N'). */
#define TP_OUCH_FIELDS_PROP {'Y', 'P', 'N', 'N', 'N'}

/* "Display", "Capacity", "Intermarket Sweep Eligibility", "Cross Type", "Customer Type". */
const char *tp_ouch_field_name(tp_ouch_field f);
/* The spec's values of f, as a string of the letters ("AYNPIMWLOTQmn" for Display). */
const char *tp_ouch_field_values(tp_ouch_field f);
/* The spec's name of value v of f ("principal"), or NULL when the spec does not list v. */
const char *tp_ouch_field_meaning(tp_ouch_field f, uint8_t v);
/* 1 when the spec lists v for f. */
static inline int tp_ouch_field_ok(tp_ouch_field f, uint8_t v)
{
    return tp_ouch_field_meaning(f, v) != 0;
}
uint8_t tp_ouch_fields_get(const tp_ouch_order_fields *o, tp_ouch_field f);

#endif
