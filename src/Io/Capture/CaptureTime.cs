using System.Globalization;

namespace Datapath.Io.Capture;

// Capture time
// ============
//
// What?
// -----
// The one representation of a frame's capture time: nanoseconds since 1970-01-01T00:00:00Z as an
// Int128, and the conversions everything else needs (floor split into seconds and nanoseconds,
// milliseconds and Int64 nanoseconds for the engine's clocks, ISO 8601 text for any year).
//
// Why Int128?
// -----------
// A pcap record holds 0 .. 2^32-1 seconds plus a fraction field that may exceed a second; a pcapng
// Enhanced Packet Block holds 2^64 units of if_tsresol (10^-n or 2^-n seconds for any n from 0 to
// 127) plus the interface's if_tsoffset, a signed 64-bit count of seconds.  The extremes, about
// -2^63 s and 2^64 + 2^63 s, are 2.8e28 ns: far past Int64 (292 years either side of 1970) and far
// inside Int128 (1.7e38).  So reading never overflows and never fails on a timestamp; nanoseconds
// are the precision, as in Wireshark's nstime_t: a finer if_tsresol is truncated toward earlier.
//
// Invariants
// ----------
//  - Split and everything built on it round toward negative infinity: -0.5 s is second -1 plus
//    500000000 ns, so the nanosecond part is always 0 .. 999999999.
//  - Saturation happens only where a narrower type is asked for (Int64 nanoseconds or milliseconds),
//    and only beyond that type's range; it is documented at each such member.
//
// Thread-safety: stateless.
public static class CaptureTime
{
    public const long NanosecondsPerSecond = 1_000_000_000L;

    /// <summary>Seconds (floor) and the nanoseconds within that second (0 .. 999999999).</summary>
    public static (Int128 Seconds, int Nanoseconds) Split(Int128 nanoseconds)
    {
        if (nanoseconds >= long.MinValue && nanoseconds <= long.MaxValue)
        {
            // Every timestamp of ±292 years around 1970 (a 64-bit division; Int128's costs ten times more).
            long n = (long)nanoseconds;
            long s = Math.DivRem(n, NanosecondsPerSecond, out long r);
            if (r < 0)
            {
                s--;
                r += NanosecondsPerSecond;
            }
            return (s, (int)r);
        }
        Int128 seconds = Int128.DivRem(nanoseconds, NanosecondsPerSecond).Quotient;
        Int128 rest = nanoseconds - seconds * NanosecondsPerSecond;
        if (rest < 0)
        {
            seconds--;
            rest += NanosecondsPerSecond;
        }
        return (seconds, (int)rest);
    }

    /// <summary>Whole milliseconds (floor), saturated to Int64 beyond ±2.9e8 years.</summary>
    public static long Milliseconds(Int128 nanoseconds)
    {
        if (nanoseconds >= long.MinValue && nanoseconds <= long.MaxValue)
        {
            // Split's 64-bit case: replay converts every frame's timestamp.
            long n = (long)nanoseconds;
            long q = Math.DivRem(n, 1_000_000, out long r);
            return r < 0 ? q - 1 : q;
        }
        Int128 ms = Int128.DivRem(nanoseconds, 1_000_000).Quotient;
        if (ms * 1_000_000 > nanoseconds)
            ms--;
        return Saturate(ms);
    }

    /// <summary>The value as Int64, saturated (long.MinValue / long.MaxValue) when it does not fit: for nanoseconds, before 1677-09-21 or after 2262-04-11.</summary>
    public static long Saturate(Int128 value)
        => value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;

    /// <summary>ISO 8601 in UTC with nanoseconds, e.g. <c>2023-11-14T22:13:20.123456789Z</c>; years outside 0000..9999 carry a sign (<c>+584556-...</c>, <c>-0001-...</c>).</summary>
    public static string Iso8601(Int128 nanoseconds)
    {
        var (seconds, ns) = Split(nanoseconds);
        Int128 days = Int128.DivRem(seconds, 86400).Quotient;
        if (days * 86400 > seconds)
            days--;
        int secondOfDay = (int)(seconds - days * 86400);
        var (year, month, day) = CivilFromDays(days);
        string y = year >= 0 && year <= 9999
            ? year.ToString("D4", CultureInfo.InvariantCulture)
            : (year < 0 ? "-" : "+") + Int128.Abs(year).ToString("D4", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"{y}-{month:D2}-{day:D2}T{secondOfDay / 3600:D2}:{secondOfDay / 60 % 60:D2}:{secondOfDay % 60:D2}.{ns:D9}Z");
    }

    /// <summary>Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days, for any range).</summary>
    private static (Int128 Year, int Month, int Day) CivilFromDays(Int128 days)
    {
        Int128 z = days + 719468;
        Int128 era = (z >= 0 ? z : z - 146096) / 146097;
        int dayOfEra = (int)(z - era * 146097);
        int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
        int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        int mp = (5 * dayOfYear + 2) / 153;
        int day = dayOfYear - (153 * mp + 2) / 5 + 1;
        int month = mp < 10 ? mp + 3 : mp - 9;
        Int128 year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        return (year, month, day);
    }
}
