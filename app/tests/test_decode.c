/* ITCH 5.0 decoder: one hand-built vector per message type, checked field by field, plus
 * unknown types, short messages and every truncation of every type. */
#include "check.h"
#include "itch/itch.h"

static const uint64_t TS = 0x0000123456789abcull; /* 48-bit timestamp */

static void decode_ok(const uint8_t *p, size_t len, tp_itch_msg *m, char type, uint16_t loc)
{
    memset(m, 0xa5, sizeof *m);
    CHECK_EQ(tp_itch_decode(p, len, m), TP_ITCH_OK);
    CHECK_EQ(m->type, (uint8_t)type);
    CHECK_EQ(m->stock_locate, loc);
    CHECK_EQ(m->tracking_number, 0x0102);
    CHECK_EQ(m->timestamp, TS);
    CHECK_EQ(tp_itch_msg_size((uint8_t)type), len);
}

int main(void)
{
    uint8_t p[64];
    tp_itch_msg m;

    /* S System Event (12) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'S', 0, 0x0102, TS);
    p[11] = 'O';
    decode_ok(p, 12, &m, 'S', 0);
    CHECK_EQ(m.u.system_event.event_code, 'O');

    /* R Stock Directory (39) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'R', 7, 0x0102, TS);
    put_s(p, 11, "AAPL", 8);
    p[19] = 'Q'; p[20] = 'N';
    put_n(p, 21, 4, 100);
    p[25] = 'N'; p[26] = 'C';
    put_s(p, 27, "Z", 2);
    p[29] = 'P'; p[30] = 'N'; p[31] = ' '; p[32] = '1'; p[33] = 'N';
    put_n(p, 34, 4, 3);
    p[38] = 'Y';
    decode_ok(p, 39, &m, 'R', 7);
    CHECK_MEM(m.u.stock_directory.stock, "AAPL    ");
    CHECK_EQ(m.u.stock_directory.market_category, 'Q');
    CHECK_EQ(m.u.stock_directory.financial_status, 'N');
    CHECK_EQ(m.u.stock_directory.round_lot_size, 100);
    CHECK_EQ(m.u.stock_directory.round_lots_only, 'N');
    CHECK_EQ(m.u.stock_directory.issue_classification, 'C');
    CHECK_MEM(m.u.stock_directory.issue_subtype, "Z ");
    CHECK_EQ(m.u.stock_directory.authenticity, 'P');
    CHECK_EQ(m.u.stock_directory.short_sale_threshold, 'N');
    CHECK_EQ(m.u.stock_directory.ipo_flag, ' ');
    CHECK_EQ(m.u.stock_directory.luld_ref_price_tier, '1');
    CHECK_EQ(m.u.stock_directory.etp_flag, 'N');
    CHECK_EQ(m.u.stock_directory.etp_leverage_factor, 3);
    CHECK_EQ(m.u.stock_directory.inverse_indicator, 'Y');

    /* H Stock Trading Action (25) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'H', 8, 0x0102, TS);
    put_s(p, 11, "MSFT", 8);
    p[19] = 'H'; p[20] = ' ';
    put_s(p, 21, "T1", 4);
    decode_ok(p, 25, &m, 'H', 8);
    CHECK_MEM(m.u.trading_action.stock, "MSFT    ");
    CHECK_EQ(m.u.trading_action.trading_state, 'H');
    CHECK_EQ(m.u.trading_action.reserved, ' ');
    CHECK_MEM(m.u.trading_action.reason, "T1  ");

    /* Y Reg SHO (20) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'Y', 9, 0x0102, TS);
    put_s(p, 11, "IBM", 8);
    p[19] = '1';
    decode_ok(p, 20, &m, 'Y', 9);
    CHECK_MEM(m.u.reg_sho.stock, "IBM     ");
    CHECK_EQ(m.u.reg_sho.reg_sho_action, '1');

    /* L Market Participant Position (26) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'L', 10, 0x0102, TS);
    put_s(p, 11, "GSCO", 4);
    put_s(p, 15, "QQQ", 8);
    p[23] = 'Y'; p[24] = 'N'; p[25] = 'A';
    decode_ok(p, 26, &m, 'L', 10);
    CHECK_MEM(m.u.mp_position.mpid, "GSCO");
    CHECK_MEM(m.u.mp_position.stock, "QQQ     ");
    CHECK_EQ(m.u.mp_position.primary_market_maker, 'Y');
    CHECK_EQ(m.u.mp_position.market_maker_mode, 'N');
    CHECK_EQ(m.u.mp_position.market_participant_state, 'A');

    /* V MWCB Decline Level (35) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'V', 0, 0x0102, TS);
    put_n(p, 11, 8, 0x0102030405060708ull);
    put_n(p, 19, 8, 0x1112131415161718ull);
    put_n(p, 27, 8, 0x2122232425262728ull);
    decode_ok(p, 35, &m, 'V', 0);
    CHECK_EQ(m.u.mwcb_decline.level1, 0x0102030405060708ull);
    CHECK_EQ(m.u.mwcb_decline.level2, 0x1112131415161718ull);
    CHECK_EQ(m.u.mwcb_decline.level3, 0x2122232425262728ull);

    /* W MWCB Status (12) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'W', 0, 0x0102, TS);
    p[11] = '2';
    decode_ok(p, 12, &m, 'W', 0);
    CHECK_EQ(m.u.mwcb_status.breached_level, '2');

    /* K IPO Quoting Period Update (28) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'K', 11, 0x0102, TS);
    put_s(p, 11, "NEWCO", 8);
    put_n(p, 19, 4, 34200);
    p[23] = 'A';
    put_n(p, 24, 4, 250000);
    decode_ok(p, 28, &m, 'K', 11);
    CHECK_MEM(m.u.ipo_quoting.stock, "NEWCO   ");
    CHECK_EQ(m.u.ipo_quoting.release_time, 34200);
    CHECK_EQ(m.u.ipo_quoting.release_qualifier, 'A');
    CHECK_EQ(m.u.ipo_quoting.ipo_price, 250000);

    /* J LULD Auction Collar (35) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'J', 12, 0x0102, TS);
    put_s(p, 11, "TSLA", 8);
    put_n(p, 19, 4, 1000000);
    put_n(p, 23, 4, 1100000);
    put_n(p, 27, 4, 900000);
    put_n(p, 31, 4, 2);
    decode_ok(p, 35, &m, 'J', 12);
    CHECK_MEM(m.u.luld_collar.stock, "TSLA    ");
    CHECK_EQ(m.u.luld_collar.ref_price, 1000000);
    CHECK_EQ(m.u.luld_collar.upper_price, 1100000);
    CHECK_EQ(m.u.luld_collar.lower_price, 900000);
    CHECK_EQ(m.u.luld_collar.extension, 2);

    /* h Operational Halt (21) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'h', 13, 0x0102, TS);
    put_s(p, 11, "GME", 8);
    p[19] = 'Q'; p[20] = 'H';
    decode_ok(p, 21, &m, 'h', 13);
    CHECK_MEM(m.u.op_halt.stock, "GME     ");
    CHECK_EQ(m.u.op_halt.market_code, 'Q');
    CHECK_EQ(m.u.op_halt.halt_action, 'H');

    /* A Add Order (36) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'A', 14, 0x0102, TS);
    put_n(p, 11, 8, 0xfedcba9876543210ull);
    p[19] = 'B';
    put_n(p, 20, 4, 0x80000001u);
    put_s(p, 24, "ZVZZT", 8);
    put_n(p, 32, 4, 0xfffffffeu);
    decode_ok(p, 36, &m, 'A', 14);
    CHECK_EQ(m.u.add.order_ref, 0xfedcba9876543210ull);
    CHECK_EQ(m.u.add.side, 'B');
    CHECK_EQ(m.u.add.shares, 0x80000001u);
    CHECK_MEM(m.u.add.stock, "ZVZZT   ");
    CHECK_EQ(m.u.add.price, 0xfffffffeu);
    CHECK_MEM(m.u.add.attribution, "    ");

    /* F Add Order with MPID (40) */
    put_hdr(p, 'F', 15, 0x0102, TS);
    p[19] = 'S';
    put_s(p, 36, "NITE", 4);
    decode_ok(p, 40, &m, 'F', 15);
    CHECK_EQ(m.u.add.order_ref, 0xfedcba9876543210ull);
    CHECK_EQ(m.u.add.side, 'S');
    CHECK_EQ(m.u.add.shares, 0x80000001u);
    CHECK_EQ(m.u.add.price, 0xfffffffeu);
    CHECK_MEM(m.u.add.attribution, "NITE");

    /* E Order Executed (31) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'E', 16, 0x0102, TS);
    put_n(p, 11, 8, 42);
    put_n(p, 19, 4, 300);
    put_n(p, 23, 8, 0x0a0b0c0d0e0f1011ull);
    decode_ok(p, 31, &m, 'E', 16);
    CHECK_EQ(m.u.executed.order_ref, 42);
    CHECK_EQ(m.u.executed.executed_shares, 300);
    CHECK_EQ(m.u.executed.match_number, 0x0a0b0c0d0e0f1011ull);

    /* C Order Executed with Price (36) */
    put_hdr(p, 'C', 17, 0x0102, TS);
    p[31] = 'N';
    put_n(p, 32, 4, 1234567);
    decode_ok(p, 36, &m, 'C', 17);
    CHECK_EQ(m.u.executed.order_ref, 42);
    CHECK_EQ(m.u.executed.executed_shares, 300);
    CHECK_EQ(m.u.executed.match_number, 0x0a0b0c0d0e0f1011ull);
    CHECK_EQ(m.u.executed.printable, 'N');
    CHECK_EQ(m.u.executed.execution_price, 1234567);

    /* X Order Cancel (23) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'X', 18, 0x0102, TS);
    put_n(p, 11, 8, 43);
    put_n(p, 19, 4, 77);
    decode_ok(p, 23, &m, 'X', 18);
    CHECK_EQ(m.u.cancel.order_ref, 43);
    CHECK_EQ(m.u.cancel.canceled_shares, 77);

    /* D Order Delete (19) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'D', 19, 0x0102, TS);
    put_n(p, 11, 8, 0x00ffffffffffff01ull);
    decode_ok(p, 19, &m, 'D', 19);
    CHECK_EQ(m.u.del.order_ref, 0x00ffffffffffff01ull);

    /* U Order Replace (35) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'U', 20, 0x0102, TS);
    put_n(p, 11, 8, 44);
    put_n(p, 19, 8, 45);
    put_n(p, 27, 4, 500);
    put_n(p, 31, 4, 99900);
    decode_ok(p, 35, &m, 'U', 20);
    CHECK_EQ(m.u.replace.original_ref, 44);
    CHECK_EQ(m.u.replace.new_ref, 45);
    CHECK_EQ(m.u.replace.shares, 500);
    CHECK_EQ(m.u.replace.price, 99900);

    /* P Trade (44) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'P', 21, 0x0102, TS);
    put_n(p, 11, 8, 46);
    p[19] = 'S';
    put_n(p, 20, 4, 1000);
    put_s(p, 24, "SPY", 8);
    put_n(p, 32, 4, 4500000);
    put_n(p, 36, 8, 987654321);
    decode_ok(p, 44, &m, 'P', 21);
    CHECK_EQ(m.u.trade.order_ref, 46);
    CHECK_EQ(m.u.trade.side, 'S');
    CHECK_EQ(m.u.trade.shares, 1000);
    CHECK_MEM(m.u.trade.stock, "SPY     ");
    CHECK_EQ(m.u.trade.price, 4500000);
    CHECK_EQ(m.u.trade.match_number, 987654321);

    /* Q Cross Trade (40) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'Q', 22, 0x0102, TS);
    put_n(p, 11, 8, 0x100000000ull);
    put_s(p, 19, "DIA", 8);
    put_n(p, 27, 4, 350000);
    put_n(p, 31, 8, 5555);
    p[39] = 'O';
    decode_ok(p, 40, &m, 'Q', 22);
    CHECK_EQ(m.u.cross_trade.shares, 0x100000000ull);
    CHECK_MEM(m.u.cross_trade.stock, "DIA     ");
    CHECK_EQ(m.u.cross_trade.cross_price, 350000);
    CHECK_EQ(m.u.cross_trade.match_number, 5555);
    CHECK_EQ(m.u.cross_trade.cross_type, 'O');

    /* B Broken Trade (19) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'B', 23, 0x0102, TS);
    put_n(p, 11, 8, 5556);
    decode_ok(p, 19, &m, 'B', 23);
    CHECK_EQ(m.u.broken_trade.match_number, 5556);

    /* I NOII (50) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'I', 24, 0x0102, TS);
    put_n(p, 11, 8, 10000);
    put_n(p, 19, 8, 2000);
    p[27] = 'B';
    put_s(p, 28, "QQQ", 8);
    put_n(p, 36, 4, 3000000);
    put_n(p, 40, 4, 3010000);
    put_n(p, 44, 4, 3005000);
    p[48] = 'C'; p[49] = 'L';
    decode_ok(p, 50, &m, 'I', 24);
    CHECK_EQ(m.u.noii.paired_shares, 10000);
    CHECK_EQ(m.u.noii.imbalance_shares, 2000);
    CHECK_EQ(m.u.noii.imbalance_direction, 'B');
    CHECK_MEM(m.u.noii.stock, "QQQ     ");
    CHECK_EQ(m.u.noii.far_price, 3000000);
    CHECK_EQ(m.u.noii.near_price, 3010000);
    CHECK_EQ(m.u.noii.current_ref_price, 3005000);
    CHECK_EQ(m.u.noii.cross_type, 'C');
    CHECK_EQ(m.u.noii.price_variation_indicator, 'L');

    /* N RPII (20) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'N', 25, 0x0102, TS);
    put_s(p, 11, "XYZ", 8);
    p[19] = 'B';
    decode_ok(p, 20, &m, 'N', 25);
    CHECK_MEM(m.u.rpii.stock, "XYZ     ");
    CHECK_EQ(m.u.rpii.interest_flag, 'B');

    /* O DLCR Price Discovery (48) */
    memset(p, 0, sizeof p);
    put_hdr(p, 'O', 26, 0x0102, TS);
    put_s(p, 11, "IPOX", 8);
    p[19] = 'Y';
    put_n(p, 20, 4, 100000);
    put_n(p, 24, 4, 200000);
    put_n(p, 28, 4, 150000);
    put_n(p, 32, 8, 0x0000112233445566ull);
    put_n(p, 40, 4, 140000);
    put_n(p, 44, 4, 160000);
    decode_ok(p, 48, &m, 'O', 26);
    CHECK_MEM(m.u.dlcr.stock, "IPOX    ");
    CHECK_EQ(m.u.dlcr.open_eligibility_status, 'Y');
    CHECK_EQ(m.u.dlcr.min_allowable_price, 100000);
    CHECK_EQ(m.u.dlcr.max_allowable_price, 200000);
    CHECK_EQ(m.u.dlcr.near_execution_price, 150000);
    CHECK_EQ(m.u.dlcr.near_execution_time, 0x0000112233445566ull);
    CHECK_EQ(m.u.dlcr.lower_price_range_collar, 140000);
    CHECK_EQ(m.u.dlcr.upper_price_range_collar, 160000);

    /* exactly 23 known types with the spec's sizes */
    static const char types[] = "SRHYLVWKJhAFECXDUPQBINO";
    static const uint8_t sizes[] = {12, 39, 25, 20, 26, 35, 12, 28, 35, 21, 36, 40,
                                    31, 36, 23, 19, 35, 44, 40, 19, 50, 20, 48};
    int known = 0;
    for (int t = 0; t < 256; t++)
        known += tp_itch_msg_size((uint8_t)t) != 0;
    CHECK_EQ(known, 23);
    for (int i = 0; i < 23; i++)
        CHECK_EQ(tp_itch_msg_size((uint8_t)types[i]), sizes[i]);

    /* every truncation of every type is SHORT; longer messages decode (extra ignored) */
    uint8_t big[64];
    memset(big, 0x41, sizeof big);
    for (int i = 0; i < 23; i++) {
        big[0] = (uint8_t)types[i];
        for (size_t n = 1; n < sizes[i]; n++)
            CHECK_EQ(tp_itch_decode(big, n, &m), TP_ITCH_SHORT);
        CHECK_EQ(tp_itch_decode(big, sizes[i], &m), TP_ITCH_OK);
        CHECK_EQ(tp_itch_decode(big, sizeof big, &m), TP_ITCH_OK);
    }
    CHECK_EQ(tp_itch_decode(big, 0, &m), TP_ITCH_SHORT);
    /* unknown types: every byte that is not one of the 23 */
    for (int t = 0; t < 256; t++) {
        if (memchr(types, t, 23) || t == 0)
            continue;
        big[0] = (uint8_t)t;
        CHECK_EQ(tp_itch_decode(big, sizeof big, &m), TP_ITCH_UNKNOWN);
    }
    big[0] = 0;
    CHECK_EQ(tp_itch_decode(big, sizeof big, &m), TP_ITCH_UNKNOWN);
    return tp_test_done("test_decode");
}
