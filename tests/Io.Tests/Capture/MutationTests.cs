using System.Buffers.Binary;
using System.Diagnostics;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// Thousands of broken captures from a fixed seed: seed files (pcap in both byte orders and
/// resolutions, pcapng with two sections, two interfaces, options, a skipped block, Simple and
/// obsolete Packet Blocks) with bytes overwritten, 32-bit fields set to 0, 0xffffffff or noise, and
/// cuts at any point. Whatever the damage, the reader throws InputException and nothing else, at
/// an offset inside the file, after delivering, unchanged, every frame whose record lies wholly
/// before the first damaged byte. (tests/Data holds no captures, so the seeds are built here.)
/// </summary>
public class MutationTests
{
    private sealed record Seed(string Name, byte[] File, List<TestCaptures.ReadFrame> Frames, List<long> Ends);

    private static List<Seed> Seeds()
    {
        var frames = TestCaptures.Frames(12, seed: 14, interfaces: 2).Select(f => f with { Data = f.Data[..Math.Min(f.Data.Length, 60 + f.Data.Length % 200)] }).ToList();
        var seeds = new List<(string, byte[])>
        {
            ("pcap-us-le", TestCaptures.WritePcap(frames)),
            ("pcap-ns-be", TestCaptures.WritePcap(frames, PcapTimestampResolution.Nanosecond, bigEndian: true)),
            ("pcapng-le", TestCaptures.WritePcapng(frames, ["antrea-gw0", "ens160"])),
        };
        var b = new PcapngBuilder().Section(false).Interface("eth0", tsresol: 0x80 | 30, tsoffset: -5).Enhanced(0, 1UL << 40, new byte[61])
            .Unknown(4, 8).Simple(new byte[64], 70).Section(true).Interface("eth1", tsresol: 12).ObsoletePacket(0, 123_456_789, new byte[60])
            .Enhanced(0, ulong.MaxValue, new byte[62], originalLength: 50);
        seeds.Add(("pcapng-mixed", b.ToArray()));

        var result = new List<Seed>();
        foreach (var (name, file) in seeds)
        {
            var read = TestCaptures.ReadAll(file, name);
            // A frame's record ends where the next record starts: walk the file's own lengths.
            var ends = read.Select(f => End(file, f, name.StartsWith("pcapng", StringComparison.Ordinal))).ToList();
            result.Add(new Seed(name, file, read, ends));
        }
        return result;
    }

    private static long End(byte[] file, TestCaptures.ReadFrame f, bool pcapng)
    {
        int o = (int)f.FileOffset;
        if (!pcapng)
            return o + 16 + f.Data.Length;
        uint le = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(o + 4));
        uint be = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(o + 4));
        return o + (o + le <= file.Length && le >= 12 && BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(o + (int)le - 4)) == le ? le : be);
    }

    [Fact]
    public void Damage_anywhere_yields_InputException_after_every_frame_before_it()
    {
        var seeds = Seeds();
        var rng = new Random(14);
        var clock = Stopwatch.StartNew();
        int cases = 0, refused = 0;
        for (; cases < 4000; cases++)
        {
            var seed = seeds[cases % seeds.Count];
            byte[] file = (byte[])seed.File.Clone();
            int firstDamage;
            string how;
            switch (rng.Next(4))
            {
                case 0:
                    firstDamage = rng.Next(file.Length);
                    file = file[..firstDamage];
                    how = $"cut at {firstDamage}";
                    break;
                case 1:
                    firstDamage = rng.Next(file.Length);
                    int n = rng.Next(1, 5);
                    for (int i = firstDamage; i < Math.Min(file.Length, firstDamage + n); i++)
                        file[i] = (byte)rng.Next(256);
                    how = $"{n} random bytes at {firstDamage}";
                    break;
                default:
                    firstDamage = rng.Next(file.Length / 4) * 4;
                    uint value = rng.Next(3) switch { 0 => 0u, 1 => uint.MaxValue, _ => (uint)rng.Next() };
                    BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(firstDamage), value);
                    how = $"u32 0x{value:x8} at {firstDamage}";
                    break;
            }
            if (file.AsSpan().SequenceEqual(seed.File))
                continue;

            var delivered = new List<TestCaptures.ReadFrame>();
            try
            {
                using var r = PacketFileReader.Open(new MemoryStream(file), seed.Name);
                while (r.TryReadNext(out var f))
                    delivered.Add(TestCaptures.Copy(f));
            }
            catch (InputException e)
            {
                refused++;
                Assert.True(e.Offset >= 0 && e.Offset < Math.Max(1, file.Length), $"{seed.Name}, {how}: offset {e.Offset} outside the {file.Length}-byte file");
                Assert.Equal(seed.Name, e.File);
            }
            catch (Exception e)
            {
                Assert.Fail($"{seed.Name}, {how}: {e.GetType().Name} instead of InputException: {e}");
            }

            int intact = seed.Ends.Count(end => end <= firstDamage);
            Assert.True(delivered.Count >= intact, $"{seed.Name}, {how}: {delivered.Count} frames delivered, {intact} lie before the damage");
            Assert.Equal(TestCaptures.Describe(seed.Frames.Take(intact)), TestCaptures.Describe(delivered.Take(intact)));
        }
        Assert.True(refused > cases / 4, $"only {refused} of {cases} broken files refused: the mutations miss");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{cases} cases took {clock.Elapsed}");
    }
}
