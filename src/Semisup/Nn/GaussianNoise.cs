using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Nn;

/// <summary>Standard normal noise for the conv net's noisy path, drawn with vector instructions. libtorch's CPU sampler
/// draws one Mersenne-twister number at a time, and the Γ step's 1.3 million draws were a large part of its noisy pass
/// (docs/performance.md). Here eight xoshiro128** streams, one per lane of a 256-bit vector, give uniform numbers,
/// and the Box–Muller transform turns pairs of them into normal ones. The streams are seeded from one draw of the
/// global generator, so <c>manual_seed</c> and a checkpoint's saved random state decide the noise, and the thread
/// count does not.</summary>
public static class GaussianNoise
{
    const int Lanes = 8;

    /// <summary>[count] draws of N(0, 1). Other types than float32, and other devices than the CPU, use libtorch's sampler.</summary>
    public static Tensor Draw(long count, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (dtype != ScalarType.Float32 || (device is not null && device.type != DeviceType.CPU)) return randn([count], dtype, device);
        ulong seed;
        using (var drawn = randint(0, long.MaxValue, [1], ScalarType.Int64, CPU)) seed = (ulong)drawn.item<long>();
        var noise = empty(count, ScalarType.Float32, CPU);
        Fill(MemoryMarshal.Cast<byte, float>(noise.bytes), seed);
        return noise;
    }

    /// <summary>Fills <paramref name="destination"/> with draws of N(0, 1), the same ones for the same seed.</summary>
    public static void Fill(Span<float> destination, ulong seed)
    {
        var rng = new Xoshiro128StarStar(seed);
        Span<float> block = stackalloc float[2 * Lanes];
        for (int i = 0; i < destination.Length; i += 2 * Lanes)
        {
            // Box–Muller: u₁ ∈ (0, 1], u₂ ∈ [0, 1) → √(−2 ln u₁)·cos 2πu₂ and √(−2 ln u₁)·sin 2πu₂, independent N(0, 1).
            // 24-bit uniforms, as libtorch's float sampler uses, bound |z| by √(2 ln 2²⁴) ≈ 5.8.
            var u1 = Vector256<float>.One - rng.NextUniform();
            var u2 = rng.NextUniform();
            var radius = Vector256.Sqrt(Vector256.Create(-2f) * Vector256.Log(u1));
            var (sin, cos) = Vector256.SinCos(Vector256.Create(2 * MathF.PI) * u2);
            if (i + 2 * Lanes <= destination.Length)
            {
                (radius * cos).CopyTo(destination[i..]);
                (radius * sin).CopyTo(destination[(i + Lanes)..]);
            }
            else
            {
                (radius * cos).CopyTo(block);
                (radius * sin).CopyTo(block[Lanes..]);
                block[..(destination.Length - i)].CopyTo(destination[i..]);
            }
        }
    }

    /// <summary>Eight xoshiro128** generators (Blackman and Vigna 2018), one per lane, their states seeded by SplitMix64.</summary>
    struct Xoshiro128StarStar
    {
        Vector256<uint> s0, s1, s2, s3;

        public Xoshiro128StarStar(ulong seed)
        {
            Span<uint> words = stackalloc uint[4 * Lanes];
            for (int i = 0; i < words.Length; i += 2)
            {
                ulong z = SplitMix64(ref seed);
                (words[i], words[i + 1]) = ((uint)z, (uint)(z >> 32));
            }
            s0 = Vector256.Create<uint>(words[..Lanes]);
            s1 = Vector256.Create<uint>(words[Lanes..(2 * Lanes)]);
            s2 = Vector256.Create<uint>(words[(2 * Lanes)..(3 * Lanes)]);
            s3 = Vector256.Create<uint>(words[(3 * Lanes)..]);
        }

        static ulong SplitMix64(ref ulong state)
        {
            ulong z = state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }

        static Vector256<uint> RotateLeft(Vector256<uint> x, int k) => Vector256.ShiftLeft(x, k) | Vector256.ShiftRightLogical(x, 32 - k);

        /// <summary>Eight uniform numbers in [0, 1) from the top 24 bits of each lane's next output.</summary>
        public Vector256<float> NextUniform()
        {
            var result = RotateLeft(s1 * 5u, 7) * 9u;
            var t = Vector256.ShiftLeft(s1, 9);
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = RotateLeft(s3, 11);
            return Vector256.ConvertToSingle(Vector256.ShiftRightLogical(result, 8).AsInt32()) * Vector256.Create(1f / (1 << 24));
        }
    }
}
