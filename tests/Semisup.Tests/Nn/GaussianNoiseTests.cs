using Semisup.Nn;
using static TorchSharp.torch;

namespace Semisup.Tests.Nn;

public class GaussianNoiseTests
{
    const int N = 1_000_003; // not a multiple of the 16 values a step of the sampler makes

    [Fact]
    public void Draws_the_standard_normal_distribution()
    {
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
        manual_seed(2);
        using var z = GaussianNoise.Draw(N);
        // A step of the sampler writes 16 values: the cosines of eight lanes' Box–Muller pairs, then their sines. No two
        // of a step's values nor of the next step's may correlate, nor their squares (a dependence that leaves the values
        // uncorrelated, such as a shared radius). 62,499 pairs of steps: standard error 0.004.
        using var steps = z[..(N / 16 * 16)].view(-1, 16);
        foreach (var v in new[] { steps, steps.square() - 1 })
        {
            using var r = corrcoef(cat([v[..^1], v[1..]], 1).T);
            double worst = (r - eye(32)).abs().max().item<float>();
            Assert.True(worst < 0.02, $"correlation {worst}");
        }
    }

    [Fact]
    public void The_global_seed_decides_the_noise_and_the_thread_count_does_not()
    {
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
