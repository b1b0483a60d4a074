/* OUCH 4.2 Enter Order field values, as the spec lists them (sources: fields.h). */
#include "ouch/fields.h"

#include <stddef.h>

typedef struct {
    uint8_t v;
    const char *meaning;
} value;

/* Display: the spec's 13 inbound values ('Z', "changed to non-displayed", only comes back
 * in an Accepted). */
static const value DISPLAY[] = {
    {'A', "Attributable-Price to Display"},
    {'Y', "Anonymous-Price to Comply"},
    {'N', "Non-Display"},
    {'P', "Post-Only"},
    {'I', "Imbalance-Only (opening and closing cross only)"},
    {'M', "Mid-Point Peg"},
    {'W', "Mid-Point Peg Post Only"},
    {'L', "Post-Only and Attributable-Price to Display"},
    {'O', "Retail Order Type 1"},
    {'T', "Retail Order Type 2"},
    {'Q', "Retail Price Improvement Order"},
    {'m', "Mid-Point Peg and Mid-Point Trade Now"},
    {'n', "Non-Display and Mid-Point Trade Now"},
    {0, NULL},
};
static const value CAPACITY[] = {
    {'A', "agency"}, {'P', "principal"}, {'R', "riskless principal"}, {'O', "other"}, {0, NULL},
};
static const value ISO[] = {
    {'Y', "eligible"}, {'N', "not eligible"}, {'y', "Trade-at Intermarket Sweep Order"},
    {0, NULL},
};
static const value CROSS_TYPE[] = {
    {'N', "no cross (continuous market)"},
    {'O', "opening cross"},
    {'C', "closing cross"},
    {'H', "halt/IPO cross"},
    {'S', "supplemental order"},
    {'R', "retail (BX only)"},
    {'E', "extended life"},
    {0, NULL},
};
/* ' ' (blank) is the spec's "use the default configured for the port". */
static const value CUSTOMER_TYPE[] = {
    {'R', "retail designated order"}, {'N', "not a retail designated order"},
    {' ', "the port's default"}, {0, NULL},
};

static const value *const TABLE[TP_OUCH_F_COUNT] = {DISPLAY, CAPACITY, ISO, CROSS_TYPE,
                                                    CUSTOMER_TYPE};
static const char *const NAME[TP_OUCH_F_COUNT] = {
    "Display", "Capacity", "Intermarket Sweep Eligibility", "Cross Type", "Customer Type",
};
static const char *const LETTERS[TP_OUCH_F_COUNT] = {"AYNPIMWLOTQmn", "APRO", "YNy", "NOCHSRE",
                                                     "RN "};

const char *tp_ouch_field_name(tp_ouch_field f)
{
    return (unsigned)f < TP_OUCH_F_COUNT ? NAME[f] : "?";
}

const char *tp_ouch_field_values(tp_ouch_field f)
{
    return (unsigned)f < TP_OUCH_F_COUNT ? LETTERS[f] : "";
}

const char *tp_ouch_field_meaning(tp_ouch_field f, uint8_t v)
{
    if ((unsigned)f >= TP_OUCH_F_COUNT || v == 0)
        return NULL;
    for (const value *e = TABLE[f]; e->v; e++)
        if (e->v == v)
            return e->meaning;
    return NULL;
}

uint8_t tp_ouch_fields_get(const tp_ouch_order_fields *o, tp_ouch_field f)
{
    switch (f) {
    case TP_OUCH_F_DISPLAY: return o->display;
    case TP_OUCH_F_CAPACITY: return o->capacity;
    case TP_OUCH_F_ISO: return o->iso;
    case TP_OUCH_F_CROSS_TYPE: return o->cross_type;
    case TP_OUCH_F_CUSTOMER_TYPE: return o->customer_type;
    default: return 0;
    }
}
