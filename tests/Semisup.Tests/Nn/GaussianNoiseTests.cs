using System.Numerics;
using Semisup.Nn;
using static TorchSharp.torch;

namespace Semisup.Tests.Nn;

public class GaussianNoiseTests
{
    const int N = 1_000_003; // not a multiple of the 16 values a step of the sampler makes

    [Fact]
    public void Draws_the_standard_normal_distribution()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var z = GaussianNoise.Draw(N);
        Assert.Equal([(long)N], z.shape);
        // Standard errors at this size: mean 0.001, standard deviation 0.0007, fourth moment (3) 0.01.
        Assert.InRange(z.mean().item<float>(), -0.005, 0.005);
        Assert.InRange(z.std().item<float>(), 0.995, 1.005);
        Assert.InRange(z.pow(4).mean().item<float>(), 2.95, 3.05);
        // Kolmogorov–Smirnov against Φ: above 1.95/√n happens by chance once in a thousand.
        using var sorted = z.to_type(ScalarType.Float64).sort().Values;
        using var cdf = (special.erf(sorted / Math.Sqrt(2)) + 1) / 2;
        using var ranks = arange(1, N + 1, dtype: ScalarType.Float64) / N;
        double d = maximum((cdf - ranks).abs(), (cdf - (ranks - 1.0 / N)).abs()).max().item<double>();
        Assert.True(d < 1.95 / Math.Sqrt(N), $"Kolmogorov–Smirnov distance {d}");
    }

    [Fact]
    public void Draws_uncorrelated_values()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var z = GaussianNoise.Draw(N);
        // A step of the sampler writes 16 values: the cosines of eight lanes' Box–Muller pairs, then their sines. No two
        // of a step's values nor of the next step's may correlate, nor their squares (a dependence that leaves the values
        // uncorrelated, such as a shared radius). 62,499 pairs of steps: standard error 0.004.
        using var steps = z[..(N / 16 * 16)].view(-1, 16);
        foreach (var v in new[] { steps, steps.square() })
        {
            using var r = corrcoef(cat([v[..^1], v[1..]], 1).T);
            double worst = (r - eye(32)).abs().max().item<float>();
            Assert.True(worst < 0.02, $"correlation {worst}");
        }
    }

    [Fact]
    public void The_global_seed_decides_the_noise_and_the_thread_count_does_not()
    {
        using var scope = NewDisposeScope();
        int threads = get_num_threads();
        try
        {
            manual_seed(7);
            using var first = GaussianNoise.Draw(1000);
            using var second = GaussianNoise.Draw(1000);
            set_num_threads(1);
            manual_seed(7);
            using var again = GaussianNoise.Draw(1000);
            manual_seed(8);
            using var otherSeed = GaussianNoise.Draw(1000);
            Assert.True(first.eq(again).all().item<bool>());
            Assert.Equal(1000, first.ne(second).sum().item<long>());
            Assert.Equal(1000, first.ne(otherSeed).sum().item<long>());
        }
        finally { set_num_threads(threads); }
    }

    [Fact]
    public void Matches_xoshiro128_and_Box_Muller_written_out_in_scalar_code()
    {
        // Golden values from the published algorithms (SplitMix64, xoshiro128**, Box–Muller) in double precision: lane
        // j's state words are the j-th of each eight consecutive 32-bit halves of SplitMix64's outputs, low half first;
        // a step of the sampler writes lane j's cosine at j and its sine at 8 + j.
        const ulong seed = 12345;
        var z = new float[3 * 16];
        GaussianNoise.Fill(z, seed);
        ulong state = seed;
        var mixed = new ulong[16];
        for (int i = 0; i < mixed.Length; i++)
        {
            ulong x = state += 0x9E3779B97F4A7C15;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
            mixed[i] = x ^ (x >> 31);
        }
        uint Half(int k) => (uint)(mixed[k / 2] >> (32 * (k % 2)));
        foreach (int lane in new[] { 0, 5 })
        {
            uint s0 = Half(lane), s1 = Half(8 + lane), s2 = Half(16 + lane), s3 = Half(24 + lane);
            double Next()
            {
                uint result = BitOperations.RotateLeft(s1 * 5, 7) * 9, t = s1 << 9;
                s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
                s3 = BitOperations.RotateLeft(s3, 11);
                return (result >> 8) / (double)(1 << 24);
            }
            for (int step = 0; step < 3; step++)
            {
                double u1 = 1 - Next(), u2 = Next(), radius = Math.Sqrt(-2 * Math.Log(u1));
                Assert.Equal(radius * Math.Cos(2 * Math.PI * u2), z[16 * step + lane], 1e-5);
                Assert.Equal(radius * Math.Sin(2 * Math.PI * u2), z[16 * step + 8 + lane], 1e-5);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(20)]
    public void A_short_fill_is_the_start_of_a_longer_one(int length)
    {
        var full = new float[32];
        var part = new float[length];
        GaussianNoise.Fill(full, 42);
        GaussianNoise.Fill(part, 42);
        Assert.Equal(full[..length], part);
        Assert.All(full, v => Assert.True(float.IsFinite(v) && v != 0));
    }
}
