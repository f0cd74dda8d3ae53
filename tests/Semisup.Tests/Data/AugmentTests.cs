using Semisup.Data;
using static TorchSharp.torch;

namespace Semisup.Tests.Data;

public class AugmentTests
{
    [Fact]
    public void No_rotation_and_no_shift_is_the_identity()
    {
        manual_seed(1);
        using var x = rand(5, 1, 28, 28);
        using var y = new Augment(0, 0).Apply(x);
        Assert.True(x.allclose(y, atol: 1e-5));
    }

    [Fact]
    public void Shifts_are_whole_pixels_within_the_padding_and_differ_per_image()
    {
        manual_seed(2);
        using var x = rand(1, 1, 28, 28).expand(64, 1, 28, 28).contiguous();
        using var y = new Augment(0, 3).Apply(x);
        var seen = new HashSet<(int, int)>();
        for (int i = 0; i < 64; i++)
        {
            var match = (from dx in Enumerable.Range(-3, 7) from dy in Enumerable.Range(-3, 7)
                         let shifted = Shift(x[0], dx, dy)
                         where shifted.allclose(y[i], atol: 1e-5)
                         select (dx, dy)).ToList();
            Assert.Single(match);
            seen.Add(match[0]);
        }
        Assert.True(seen.Count > 10, "each image gets its own translation");
    }

    /// <summary>Pad by 3, crop at offset (3 − dx, 3 − dy): the reference the lab describes.</summary>
    static Tensor Shift(Tensor img, int dx, int dy) =>
        nn.functional.pad(img, [3, 3, 3, 3]).slice(1, 3 - dy, 31 - dy, 1).slice(2, 3 - dx, 31 - dx, 1);

    [Fact]
    public void Rotation_keeps_the_centre_and_the_ink()
    {
        manual_seed(3);
        using var x = zeros(200, 1, 28, 28);
        x[.., .., 10..18, 10..18] = ones(1); // an 8×8 square in the centre: rotation must keep it near 64 pixels of ink
        using var y = new Augment(25, 0).Apply(x);
        var ink = y.sum([1, 2, 3]);
        Assert.True(ink.min().item<float>() > 60 && ink.max().item<float>() < 68);
        Assert.True(y.sub(x).abs().sum([1, 2, 3]).max().item<float>() > 1, "some images are rotated");
    }
}

public class ElasticTests
{
    [Fact]
    public void Elastic_distortion_moves_pixels_smoothly_and_keeps_the_ink()
    {
        manual_seed(4);
        using var x = zeros(64, 1, 28, 28);
        x[.., .., 8..20, 8..20] = ones(1);
        using var same = new Augment(0, 0, ElasticAlpha: 0).Apply(x);
        Assert.True(same.allclose(x, atol: 1e-5));
        using var y = new Augment(0, 0, ElasticAlpha: 8, ElasticSigma: 4).Apply(x);
        var changed = y.sub(x).abs().sum([1, 2, 3]);
        Assert.True(changed.min().item<float>() > 1, "every image is distorted");
        var ink = y.sum([1, 2, 3]);
        Assert.True(ink.min().item<float>() > 100 && ink.max().item<float>() < 190, $"ink {ink.min().item<float>()}..{ink.max().item<float>()} of 144");
        // Smoothness: a field smoothed at σ = 4 moves neighbouring pixels alike, so the square stays one blob:
        // no ink far from it.
        Assert.Equal(0f, y[.., .., 0..2, ..].abs().max().item<float>());
        Assert.Throws<SemisupException>(() => new Augment(ElasticAlpha: -1).Apply(x));
    }
}
