using Semisup.Data;
using static TorchSharp.torch;

namespace Semisup.Tests.Data;

public class AugmentTests
{
    [Theory]
    [InlineData("bilinear")]
    [InlineData("bicubic")]
    public void No_rotation_and_no_shift_is_the_identity(string interpolation)
    {
        manual_seed(1);
        using var x = rand(5, 1, 28, 28);
        using var y = new Augment(0, 0, Interpolation: interpolation).Apply(x);
        Assert.True(x.allclose(y, atol: 1e-5));
    }

    [Theory]
    [InlineData("bilinear")]
    [InlineData("bicubic")]
    public void Shifts_are_whole_pixels_within_the_padding_and_differ_per_image(string interpolation)
    {
        manual_seed(2);
        using var x = rand(1, 1, 28, 28).expand(64, 1, 28, 28).contiguous();
        using var y = new Augment(0, 3, Interpolation: interpolation).Apply(x);
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

    [Theory]
    [InlineData("bilinear")]
    [InlineData("bicubic")]
    public void Flip_gives_each_image_as_it_is_or_mirrored_left_to_right_and_both_occur(string interpolation)
    {
        manual_seed(4);
        using var x = rand(1, 1, 28, 28).expand(64, 1, 28, 28).contiguous();
        using var y = new Augment(0, 0, Interpolation: interpolation, Flip: true).Apply(x);
        using var mirrored = x[0].flip(2);
        int flipped = 0;
        for (int i = 0; i < 64; i++)
        {
            bool same = y[i].allclose(x[0], atol: 1e-5), mirror = y[i].allclose(mirrored, atol: 1e-5);
            Assert.True(same ^ mirror, $"image {i} is neither the image nor its mirror");
            if (mirror) flipped++;
        }
        Assert.InRange(flipped, 16, 48); // about half: the chance of falling outside is below 1e-4
        Assert.False(new Augment(0, 0, Flip: true).IsIdentity);
    }

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

public class BicubicTests
{
    [Fact]
    public void Fractional_shifts_reproduce_a_quadratic_on_both_axes_and_every_channel_where_bilinear_cannot()
    {
        // Channel c of a 20×28 image is f(x, y) = (c + 1)·x²/100 + y²/50 at pixel (x, y). Sampling a quarter pixel
        // right and down must give f(x + ¼, y + ¼) away from the border: cubic convolution with a = −0.5 is exact on
        // quadratics; bilinear is off by t(1 − t)·f''/2 per axis = 3/16 · ((c + 1)/100 + 1/50).
        long h = 20, w = 28;
        var px = arange(w, dtype: ScalarType.Float32);
        var py = arange(h, dtype: ScalarType.Float32);
        var scale = arange(1, 4, dtype: ScalarType.Float32).reshape(3, 1, 1);
        Tensor F(Tensor x, Tensor y) => scale * x.pow(2).reshape(1, 1, w) / 100 + y.pow(2).reshape(1, h, 1) / 50;
        using var image = F(px, py).unsqueeze(0);
        var expected = F(px + 0.25, py + 0.25)[.., 2..(int)(h - 3), 2..(int)(w - 3)];
        // A quarter pixel is half a grid unit per pixel: 0.5 / size.
        var theta = tensor(new[] { 1f, 0f, 0.5f / w, 0f, 1f, 0.5f / h }).reshape(1, 2, 3);
        using var grid = nn.functional.affine_grid(theta, [1, 3, h, w], align_corners: false);
        var cubic = new Augment(Interpolation: "bicubic").Sample(image, grid)[0, .., 2..(int)(h - 3), 2..(int)(w - 3)];
        var linear = new Augment(Interpolation: "bilinear").Sample(image, grid)[0, .., 2..(int)(h - 3), 2..(int)(w - 3)];
        Assert.True((cubic - expected).abs().max().item<float>() < 1e-3);
        var bilinearError = (linear - expected).abs().amax([1, 2]);
        for (int c = 0; c < 3; c++) Assert.Equal(3.0 / 16 * ((c + 1) / 100.0 + 1 / 50.0), bilinearError[c].item<float>(), 4);
    }

    [Fact]
    public void A_quarter_turn_lands_on_pixel_centres_and_is_exact()
    {
        manual_seed(9);
        using var image = rand(1, 1, 28, 28);
        var theta = tensor(new[] { 0f, -1f, 0f, 1f, 0f, 0f }).reshape(1, 2, 3);
        using var grid = nn.functional.affine_grid(theta, [1, 1, 28, 28], align_corners: false);
        var turned = new Augment(Interpolation: "bicubic").Sample(image, grid);
        Assert.True(turned.allclose(image.rot90(1, (2, 3)), atol: 1e-5));
    }

    [Fact]
    public void Bicubic_rotation_is_close_to_scipys_cubic_spline_rotate_that_the_lab_used()
    {
        // Golden values: tests/golden/scipy_rotate.py rotates a synthetic digit with scipy.ndimage.rotate (order 3).
        var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "scipy-rotate.json"))).RootElement;
        Tensor Image(System.Text.Json.JsonElement e) => tensor(e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).reshape(1, 1, 28, 28);
        using var image = Image(doc.GetProperty("image"));
        var angles = doc.GetProperty("angles").EnumerateArray().Select(a => a.GetDouble() * Math.PI / 180).ToArray();
        var expected = doc.GetProperty("rotated").EnumerateArray().Select(Image).ToArray();
        for (int k = 0; k < angles.Length; k++)
        {
            // Augment.Apply's rotation by θ (no shift): output pixel p samples the input at R(−θ)p.
            var (cos, sin) = ((float)Math.Cos(angles[k]), (float)Math.Sin(angles[k]));
            using var grid = nn.functional.affine_grid(tensor(new[] { cos, -sin, 0f, sin, cos, 0f }).reshape(1, 2, 3), [1, 1, 28, 28], align_corners: false);
            double Error(string interpolation) => (new Augment(Interpolation: interpolation).Sample(image, grid) - expected[k]).abs().mean().item<float>();
            double cubic = Error("bicubic"), linear = Error("bilinear");
            Assert.True(cubic < 0.005, $"bicubic differs from scipy by {cubic:F4} per pixel");
            Assert.True(cubic < linear / 2, $"bicubic {cubic:F4} is not clearly nearer scipy than bilinear {linear:F4}");
        }
    }

    [Fact]
    public void Bicubic_matches_a_scalar_cubic_convolution_inside_and_around_the_image()
    {
        // Points anywhere from 6 pixels before to 6 past a 7×9 two-channel image, against the kernel summed tap by tap.
        static double Keys(double d)
        {
            d = Math.Abs(d);
            return d <= 1 ? 1.5 * d * d * d - 2.5 * d * d + 1 : d < 2 ? -0.5 * d * d * d + 2.5 * d * d - 4 * d + 2 : 0;
        }
        manual_seed(11);
        const int h = 7, w = 9;
        using var image = rand(1, 2, h, w);
        using var pixels = rand(1, 5, 6, 2) * tensor(new float[] { w + 12, h + 12 }) - 6;
        using var grid = (2 * pixels + 1) / tensor(new float[] { w, h }) - 1;
        var sampled = new Augment(Interpolation: "bicubic").Sample(image, grid);
        var img = image.data<float>().ToArray();
        var p = pixels.data<float>().ToArray();
        for (int point = 0; point < 30; point++)
        {
            double px = p[2 * point], py = p[2 * point + 1];
            for (int c = 0; c < 2; c++)
            {
                double expected = 0;
                for (int ty = (int)Math.Floor(py) - 1; ty <= (int)Math.Floor(py) + 2; ty++)
                    for (int tx = (int)Math.Floor(px) - 1; tx <= (int)Math.Floor(px) + 2; tx++)
                        if (ty is >= 0 and < h && tx is >= 0 and < w) expected += Keys(px - tx) * Keys(py - ty) * img[(c * h + ty) * w + tx];
                Assert.Equal(expected, sampled[0, c, point / 6, point % 6].item<float>(), 4);
            }
        }
    }

    [Fact]
    public void Points_far_outside_the_image_sample_zero()
    {
        using var image = rand(2, 1, 28, 28) + 1;
        // Shifted by 0.6 and by 1.5 image widths (right and left, down and up): the first overlaps the image, the
        // second samples only points more than two pixels outside, whose taps the sampler clamps.
        foreach (var (shift, ink) in new[] { (1.2f, true), (-3f, false), (3f, false) })
        {
            var theta = tensor(new[] { 1f, 0f, shift, 0f, 1f, -shift }).reshape(1, 2, 3).expand(2, 2, 3);
            using var grid = nn.functional.affine_grid(theta, [2, 1, 28, 28], align_corners: false);
            var sampled = new Augment(Interpolation: "bicubic").Sample(image, grid);
            Assert.Equal(ink, sampled.abs().max().item<float>() > 0);
        }
    }

    [Fact]
    public void An_unknown_interpolation_is_an_error_not_a_fallback()
    {
        using var image = rand(1, 1, 28, 28);
        var e = Assert.Throws<SemisupException>(() => new Augment(Interpolation: "bicubc").Apply(image));
        Assert.Contains("known are bilinear, bicubic", e.Message);
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

public class CutoutTests
{
    [Fact]
    public void Cutout_zeroes_one_square_per_image_clipped_at_the_border()
    {
        using var x = rand(256, 1, 28, 28) + 0.5; // no pixel is 0 before the cutout
        manual_seed(11);
        using var cut = new Augment(0, 0, Cutout: 8).Apply(x);
        using var erased = cut.eq(0);
        var rows = erased.any(3).squeeze(1).sum(1);    // rows touched per image
        var columns = erased.any(2).squeeze(1).sum(1); // columns touched per image
        var count = erased.sum([1, 2, 3]);
        // One axis-aligned rectangle per image: rows × columns pixels, each side 4 to 8 (a centre on the border keeps
        // half), 8×8 when the centre lies at least 4 pixels inside.
        Assert.True(count.eq(rows * columns).all().item<bool>(), "the erased pixels form one rectangle");
        Assert.Equal(4, Math.Min(rows.min().item<long>(), columns.min().item<long>()));
        Assert.Equal(8, Math.Max(rows.max().item<long>(), columns.max().item<long>()));
        Assert.True(count.eq(64).sum().item<long>() > 100, "most squares lie wholly inside");
        Assert.True(cut.where(erased.logical_not(), 0).allclose(x.where(erased.logical_not(), 0), atol: 1e-5), "the rest is the image");
    }

    [Fact]
    public void Cutout_comes_after_the_geometry_and_leaves_its_random_stream_alone()
    {
        using var x = rand(64, 1, 28, 28) + 0.5;
        manual_seed(11);
        using var plain = new Augment(10, 2).Apply(x);
        manual_seed(11);
        using var cut = new Augment(10, 2, Cutout: 8).Apply(x);
        using var kept = cut.ne(0);
        Assert.True(cut.where(kept, 0).eq(plain.where(kept, 0)).all().item<bool>(), "outside the square, the same rotated and shifted images");
        var changed = cut.ne(plain).sum([1, 2, 3]);
        Assert.True(changed.max().item<long>() <= 64, "each image loses at most one 8×8 square");
        Assert.True(changed.gt(0).sum().item<long>() > 56, "and nearly every image loses some ink");
    }

    [Fact]
    public void A_cutout_larger_than_the_image_is_an_error()
    {
        using var x = rand(2, 1, 28, 28);
        var e = Assert.Throws<SemisupException>(() => new Augment(Cutout: 29).Apply(x));
        Assert.Contains("cutout 29", e.Message);
    }
}
