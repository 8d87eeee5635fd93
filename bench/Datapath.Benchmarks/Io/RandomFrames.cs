namespace Datapath.Benchmarks.Io;

/// <summary>The capture benchmarks' frames: 1024 of random bytes, 64..1500 bytes long, the same for a seed.</summary>
internal static class RandomFrames
{
    public static byte[][] Make(int seed = 42)
    {
        var rng = new Random(seed);
        var frames = new byte[1024][];
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i] = new byte[rng.Next(64, 1501)];
            rng.NextBytes(frames[i]);
        }
        return frames;
    }
}
