using Semisup.Data;
using static TorchSharp.torch;

namespace Semisup.Tests.Data;

/// <summary>Each RandAugment operation on small images computed by hand, and the crop and flip of the weak view.</summary>
public class PhotoOpsTests
{
    /// <summary>Same shape and the same values, bit for bit.</summary>
    static bool Identical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    /// <summary>A [1, 1, rows, columns] image from its rows.</summary>
    static Tensor Image(float[,] rows) => tensor(rows).view(1, 1, rows.GetLength(0), rows.GetLength(1));

    static Tensor V(params float[] v) => tensor(v);

    static void Same(float[,] expected, Tensor actual, double atol = 1e-6) =>
        Assert.True(Image(expected).allclose(actual, atol: atol), $"expected {Image(expected).ToString(TorchSharp.TensorStringStyle.Julia)}, got {actual.ToString(TorchSharp.TensorStringStyle.Julia)}");

    [Fact]
    public void The_operations_are_the_14_of_FixMatchs_table_12_with_its_ranges()
    {
        Assert.Equal(["AutoContrast", "Brightness", "Color", "Contrast", "Equalize", "Identity", "Posterize", "Rotate", "Sharpness",
            "ShearX", "ShearY", "Solarize", "TranslateX", "TranslateY"], PhotoOps.Operations.Select(o => o.Name));
        var ranges = PhotoOps.Operations.ToDictionary(o => o.Name, o => (o.Low, o.High));
        Assert.Equal((0.05, 0.95), ranges["Brightness"]);
        Assert.Equal((4.0, 8.0), ranges["Posterize"]);
        Assert.Equal((-30.0, 30.0), ranges["Rotate"]);
        Assert.Equal((-0.3, 0.3), ranges["ShearX"]);
        Assert.Equal((-0.3, 0.3), ranges["TranslateY"]);
        Assert.Equal((0.0, 1.0), ranges["Solarize"]);
    }

    [Fact]
    public void Autocontrast_stretches_each_channel_to_0_and_1_and_leaves_a_flat_one()
    {
        using var x = cat([Image(new[,] { { 0.2f, 0.4f }, { 0.6f, 0.2f } }), Image(new[,] { { 0.3f, 0.3f }, { 0.3f, 0.3f } })], 1);
        using var y = PhotoOps.AutoContrast(x);
        Same(new[,] { { 0f, 0.5f }, { 1f, 0f } }, y[.., 0..1]);
        Same(new[,] { { 0.3f, 0.3f }, { 0.3f, 0.3f } }, y[.., 1..2]);
    }

    [Fact]
    public void Brightness_scales_towards_black()
    {
        using var y = PhotoOps.Brightness(Image(new[,] { { 0.2f, 1f } }), V(0.5f));
        Same(new[,] { { 0.1f, 0.5f } }, y);
    }

    [Fact]
    public void Color_blends_with_the_luma_and_leaves_grey_images_alone()
    {
        using var rgb = tensor(new[] { 0.2f, 0.4f, 0.6f }).view(1, 3, 1, 1);
        double luma = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6; // 0.363
        using var grey = PhotoOps.Color(rgb, V(0));
        Assert.All(grey.data<float>().ToArray(), c => Assert.Equal(luma, c, 5));
        using var half = PhotoOps.Color(rgb, V(0.5f));
        using var expected = tensor(new[] { 0.2, 0.4, 0.6 }.Select(c => (float)(luma + 0.5 * (c - luma))).ToArray()).view(1, 3, 1, 1);
        Assert.True(half.allclose(expected, atol: 1e-6));
        using var mono = Image(new[,] { { 0.1f, 0.9f } });
        using var kept = PhotoOps.Color(mono, V(0.05f));
        Same(new[,] { { 0.1f, 0.9f } }, kept);
    }

    [Fact]
    public void Contrast_blends_with_the_images_mean()
    {
        using var y = PhotoOps.Contrast(Image(new[,] { { 0f, 0.2f }, { 0.4f, 0.6f } }), V(0.5f)); // mean 0.3
        Same(new[,] { { 0.15f, 0.25f }, { 0.35f, 0.45f } }, y);
    }

    [Fact]
    public void Equalize_spreads_equal_counts_over_the_levels_by_hand()
    {
        // 256 pixels each at 0, 50 and 200: S = 512 (all but the last level), step 2, so 0 → ⌊1/2⌋ = 0,
        // 50 → ⌊(1 + 256)/2⌋ = 128, 200 → ⌊(1 + 512)/2⌋ = 256, clipped to 255.
        using var x = cat([full(256, 0f), full(256, 50f / 255), full(256, 200f / 255)]).view(1, 1, 24, 32);
        using var y = PhotoOps.Equalize(x);
        var levels = (y * 255).round().to_type(ScalarType.Int32).view(-1).data<int>().ToArray();
        Assert.Equal(Enumerable.Repeat(0, 256).Concat(Enumerable.Repeat(128, 256)).Concat(Enumerable.Repeat(255, 256)), levels);
        // Fewer than 256 pixels outside the last level: step 0, kept.
        using var small = Image(new[,] { { 0f, 0.2f }, { 0.4f, 1f } });
        using var kept = PhotoOps.Equalize(small);
        Assert.True(kept.allclose(small, atol: 1e-6));
    }

    [Fact]
    public void Equalize_matches_a_plain_implementation_of_PILs_per_channel()
    {
        manual_seed(5);
        // Skewed levels over few values, as photos' histograms are, in 3 channels of 2 images.
        using var x = (rand(2, 3, 20, 20).pow(3) * 40).round() / 255;
        using var y = PhotoOps.Equalize(x);
        var bytes = (x * 255).round().to_type(ScalarType.Int32).data<int>().ToArray();
        var got = (y * 255).round().to_type(ScalarType.Int32).data<int>().ToArray();
        for (int channel = 0; channel < 6; channel++)
        {
            var pixels = bytes.Skip(channel * 400).Take(400).ToArray();
            var expected = ReferenceEqualize(pixels);
            Assert.Equal(expected, got.Skip(channel * 400).Take(400));
        }
    }

    /// <summary>PIL's ImageOps.equalize for one channel, loop by loop (clipped at 255, as torchvision).</summary>
    static int[] ReferenceEqualize(int[] pixels)
    {
        var h = new int[256];
        foreach (var p in pixels) h[p]++;
        var nonEmpty = h.Where(c => c > 0).ToList();
        int step = nonEmpty.Count <= 1 ? 0 : (nonEmpty.Sum() - nonEmpty[^1]) / 255;
        if (step == 0) return pixels;
        var lut = new int[256];
        int n = step / 2;
        for (int i = 0; i < 256; i++) { lut[i] = Math.Min(255, n / step); n += h[i]; }
        return [.. pixels.Select(p => lut[p])];
    }

    [Fact]
    public void Posterize_keeps_the_highest_bits_of_each_byte()
    {
        using var x = Image(new[,] { { 183f / 255, 255f / 255 } }); // 183 = 0b1011_0111
        using var four = PhotoOps.Posterize(x, V(4.9f)); // ⌊4.9⌋ = 4 bits: 0b1011_0000 = 176, 0b1111_0000 = 240
        Same(new[,] { { 176f / 255, 240f / 255 } }, four);
        using var seven = PhotoOps.Posterize(x, V(7.5f));
        Same(new[,] { { 182f / 255, 254f / 255 } }, seven);
        using var eight = PhotoOps.Posterize(x, V(8));
        Same(new[,] { { 183f / 255, 1f } }, eight);
    }

    [Fact]
    public void Solarize_inverts_pixels_at_or_above_the_threshold()
    {
        using var y = PhotoOps.Solarize(Image(new[,] { { 0.2f, 0.5f, 0.8f } }), V(0.5f));
        Same(new[,] { { 0.2f, 0.5f, 0.2f } }, y);
    }

    [Fact]
    public void Sharpness_blends_with_PILs_smoothing_and_keeps_the_border()
    {
        using var x = Image(new[,] { { 0f, 0f, 0f }, { 0f, 0.65f, 0f }, { 0f, 0f, 0f } });
        // The centre smoothed: 5 · 0.65 / 13 = 0.25; the border is left as it is.
        using var blurred = PhotoOps.Sharpness(x, V(0));
        Same(new[,] { { 0f, 0f, 0f }, { 0f, 0.25f, 0f }, { 0f, 0f, 0f } }, blurred);
        using var half = PhotoOps.Sharpness(x, V(0.5f));
        Same(new[,] { { 0f, 0f, 0f }, { 0f, 0.45f, 0f }, { 0f, 0f, 0f } }, half);
    }

    [Fact]
    public void Rotate_turns_counter_clockwise_about_the_centre()
    {
        using var x = Image(new[,] { { 1f, 2f }, { 3f, 4f } });
        using var y = PhotoOps.Rotate(x, V(90));
        Same(new[,] { { 2f, 4f }, { 1f, 3f } }, y);
        using var back = PhotoOps.Rotate(x, V(-90));
        Same(new[,] { { 3f, 1f }, { 4f, 2f } }, back);
    }

    [Fact]
    public void Shears_move_rows_or_columns_by_their_distance_from_the_top_or_left_edge()
    {
        // Row 0's centre is at y = 0.5: moved by 0.25, less than the half pixel to the next centre; row 1's by 0.75.
        using var x = Image(new[,] { { 1f, 2f, 3f, 4f }, { 5f, 6f, 7f, 8f } });
        using var shearedX = PhotoOps.ShearX(x, V(0.5f));
        Same(new[,] { { 1f, 2f, 3f, 4f }, { 6f, 7f, 8f, 0f } }, shearedX);
        using var column = x.transpose(2, 3).contiguous();
        using var shearedY = PhotoOps.ShearY(column, V(0.5f));
        Assert.True(Identical(shearedY, shearedX.transpose(2, 3)));
    }

    [Fact]
    public void Translations_move_by_a_fraction_of_the_side_and_fill_with_black()
    {
        using var x = Image(new[,] { { 1f, 2f, 3f, 4f }, { 5f, 6f, 7f, 8f } });
        using var left = PhotoOps.TranslateX(x, V(0.25f));
        Same(new[,] { { 2f, 3f, 4f, 0f }, { 6f, 7f, 8f, 0f } }, left);
        using var right = PhotoOps.TranslateX(x, V(-0.25f));
        Same(new[,] { { 0f, 1f, 2f, 3f }, { 0f, 5f, 6f, 7f } }, right);
        using var up = PhotoOps.TranslateY(x, V(0.5f));
        Same(new[,] { { 5f, 6f, 7f, 8f }, { 0f, 0f, 0f, 0f } }, up);
    }

    [Fact]
    public void Each_image_gets_its_own_magnitude()
    {
        using var x = cat([Image(new[,] { { 0.8f } }), Image(new[,] { { 0.8f } })]);
        using var y = PhotoOps.Brightness(x, V(0.5f, 0.25f));
        Assert.Equal([0.4f, 0.2f], y.data<float>().ToArray());
    }

    [Fact]
    public void The_crop_is_a_window_of_the_image_padded_by_reflection_without_repeating_the_edge()
    {
        using var x = Image(new[,] { { 0f, 1f, 2f, 3f }, { 4f, 5f, 6f, 7f }, { 8f, 9f, 10f, 11f }, { 12f, 13f, 14f, 15f } });
        // numpy's pad(mode="reflect") by 1 of row 0, 1, 2, 3 is 1 0 1 2 3 2; the padded top row is the image's row 1.
        using var padded = nn.functional.pad(x, [1, 1, 1, 1], TorchSharp.PaddingModes.Reflect);
        Assert.Equal([5f, 4f, 5f, 6f, 7f, 6f], padded[0, 0, 0].data<float>().ToArray());
        using var atCorner = PhotoOps.CropAt(padded, tensor(new long[] { 0 }), tensor(new long[] { 2 }), 4, 4);
        Same(new[,] { { 5f, 6f, 7f, 6f }, { 1f, 2f, 3f, 2f }, { 5f, 6f, 7f, 6f }, { 9f, 10f, 11f, 10f } }, atCorner);

        manual_seed(11);
        using var many = x.expand(200, 1, 4, 4).contiguous();
        using var crops = PhotoOps.Crop(many, 1, 1);
        var seen = new HashSet<(int, int)>();
        for (int i = 0; i < 200; i++)
        {
            var match = (from top in Enumerable.Range(0, 3) from left in Enumerable.Range(0, 3)
                         where Identical(crops[i], padded[0, .., top..(top + 4), left..(left + 4)])
                         select (top, left)).ToList();
            Assert.Single(match);
            seen.Add(match[0]);
        }
        Assert.Equal(9, seen.Count);
    }

    [Fact]
    public void The_flip_gives_each_image_or_its_mirror_exactly_and_both_occur()
    {
        manual_seed(12);
        using var x = rand(1, 3, 5, 6).expand(64, 3, 5, 6).contiguous();
        using var y = PhotoOps.Flip(x);
        using var mirror = x[0].flip(2);
        int mirrored = 0;
        for (int i = 0; i < 64; i++)
        {
            bool same = Identical(y[i], x[0]), flipped = Identical(y[i], mirror);
            Assert.True(same ^ flipped, $"image {i} is neither the image nor its mirror");
            if (flipped) mirrored++;
        }
        Assert.InRange(mirrored, 16, 48);
    }

    [Fact]
    public void RandAugment_is_reproducible_from_the_seed_keeps_shape_and_range_and_varies_per_image()
    {
        Tensor Run(int seed)
        {
            manual_seed(seed);
            using var x = rand(1, 3, 16, 16).expand(64, 3, 16, 16).contiguous();
            return PhotoOps.RandAugment(x, 2);
        }
        using var a = Run(3);
        using var b = Run(3);
        using var c = Run(4);
        Assert.True(Identical(a, b));
        Assert.False(Identical(a, c));
        Assert.Equal([64L, 3, 16, 16], a.shape);
        Assert.True(a.min().item<float>() >= 0 && a.max().item<float>() <= 1);
        var distinct = Enumerable.Range(0, 64).Select(i => a[i].sum().item<float>()).Distinct().Count();
        Assert.True(distinct > 30, $"only {distinct} different images of 64");
    }
}
