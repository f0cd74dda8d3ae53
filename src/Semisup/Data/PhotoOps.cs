using static TorchSharp.torch;

namespace Semisup.Data;

/// <summary>The pixel operations of the photo views (<see cref="Augment"/>'s <c>crop</c> and <c>randAugment</c>), batched
/// on float images [N, C, H, W] in [0, 1] with C = 1 or 3; random draws come from libtorch's generator, so a seed
/// reproduces them. Each RandAugment operation is PIL's (ImageOps, ImageEnhance, Image.transform with nearest
/// sampling), as FixMatch's code calls it, on floats instead of bytes.</summary>
public static class PhotoOps
{
    /// <summary>One RandAugment operation: its magnitude is drawn uniformly in [Low, High] per image.</summary>
    /// <param name="Apply">(images [m, C, H, W], magnitudes [m]) → images.</param>
    public sealed record Operation(string Name, double Low, double High, Func<Tensor, Tensor, Tensor> Apply);

    /// <summary>The 14 operations and ranges of FixMatch's Table 12 (Sohn et al. 2020, appendix), as USB's
    /// <c>augment_list</c> gives them: magnitudes for Brightness, Color, Contrast and Sharpness are PIL's enhance factors
    /// (0 black, grey or blurred; 1 the image), Posterize's the bits kept, Rotate's degrees, the shears' and
    /// translations' fractions of the side, Solarize's threshold.</summary>
    public static readonly IReadOnlyList<Operation> Operations =
    [
        new("AutoContrast", 0, 1, (x, _) => AutoContrast(x)),
        new("Brightness", 0.05, 0.95, Brightness),
        new("Color", 0.05, 0.95, Color),
        new("Contrast", 0.05, 0.95, Contrast),
        new("Equalize", 0, 1, (x, _) => Equalize(x)),
        new("Identity", 0, 1, (x, _) => x),
        new("Posterize", 4, 8, Posterize),
        new("Rotate", -30, 30, Rotate),
        new("Sharpness", 0.05, 0.95, Sharpness),
        new("ShearX", -0.3, 0.3, ShearX),
        new("ShearY", -0.3, 0.3, ShearY),
        new("Solarize", 0, 1, Solarize),
        new("TranslateX", -0.3, 0.3, TranslateX),
        new("TranslateY", -0.3, 0.3, TranslateY),
    ];

    /// <summary>FixMatch's RandAugment: for each of <paramref name="count"/> rounds, every image gets an operation drawn
    /// uniformly (with replacement across rounds) at a magnitude drawn uniformly in its range; no global magnitude
    /// (FixMatch's variant, as USB's code has it; the original RandAugment fixes one).</summary>
    public static Tensor RandAugment(Tensor images, int count)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0];
        var x = images;
        for (int round = 0; round < count; round++)
        {
            var chosen = randint(0, Operations.Count, [n]);
            var unit = rand(n);
            for (int k = 0; k < Operations.Count; k++)
            {
                var rows = chosen.eq(k).nonzero().view(-1);
                if (rows.shape[0] == 0) continue;
                var op = Operations[k];
                var magnitude = unit.index_select(0, rows) * (op.High - op.Low) + op.Low;
                x = x.index_copy(0, rows, op.Apply(x.index_select(0, rows), magnitude));
            }
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Pads each side by <paramref name="padHeight"/> and <paramref name="padWidth"/> pixels, reflecting without
    /// repeating the edge (numpy's and torchvision's "reflect", TensorFlow's REFLECT), and crops each image back to its
    /// size at a uniform random offset.</summary>
    public static Tensor Crop(Tensor images, int padHeight, int padWidth)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0];
        var padded = nn.functional.pad(images, [padWidth, padWidth, padHeight, padHeight], TorchSharp.PaddingModes.Reflect);
        var top = randint(0, 2 * padHeight + 1, [n]);
        var left = randint(0, 2 * padWidth + 1, [n]);
        return CropAt(padded, top, left, images.shape[2], images.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>Image i's <paramref name="height"/> × <paramref name="width"/> window at (top[i], left[i]), in two gathers.</summary>
    public static Tensor CropAt(Tensor images, Tensor top, Tensor left, long height, long width)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0], c = images.shape[1], paddedWidth = images.shape[3];
        var rows = (top.view(n, 1) + arange(height)).view(n, 1, height, 1).expand(n, c, height, paddedWidth);
        var columns = (left.view(n, 1) + arange(width)).view(n, 1, 1, width).expand(n, c, height, width);
        return images.gather(2, rows).gather(3, columns).MoveToOuterDisposeScope();
    }

    /// <summary>Mirrors each image left to right with probability ½.</summary>
    public static Tensor Flip(Tensor images)
    {
        using var scope = NewDisposeScope();
        var mirror = randint(0, 2, [images.shape[0]]).to_type(ScalarType.Bool).view(-1, 1, 1, 1);
        return where(mirror, images.flip(3), images).MoveToOuterDisposeScope();
    }

    /// <summary>Each channel stretched to [0, 1] from its own minimum and maximum; a flat channel is left as it is.</summary>
    public static Tensor AutoContrast(Tensor x)
    {
        using var scope = NewDisposeScope();
        var low = x.amin([2, 3], keepdim: true);
        var high = x.amax([2, 3], keepdim: true);
        var flat = high <= low;
        var scale = where(flat, ones_like(high), 1 / (high - low));
        var offset = where(flat, zeros_like(low), low);
        return ((x - offset) * scale).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's Brightness: a blend with black, x·v.</summary>
    public static Tensor Brightness(Tensor x, Tensor v) => (x * PerImage(v)).clamp(0, 1);

    /// <summary>PIL's Color: a blend with the image's grey (ITU-R 601 luma), gray + v·(x − gray); grey images are
    /// their own grey, so it changes nothing there.</summary>
    public static Tensor Color(Tensor x, Tensor v)
    {
        using var scope = NewDisposeScope();
        var gray = Gray(x);
        return (gray + PerImage(v) * (x - gray)).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's Contrast: a blend with the mean of the image's grey, mean + v·(x − mean).</summary>
    public static Tensor Contrast(Tensor x, Tensor v)
    {
        using var scope = NewDisposeScope();
        var mean = Gray(x).mean([1, 2, 3], keepdim: true);
        return (mean + PerImage(v) * (x - mean)).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's (and torchvision's) histogram equalisation, per channel of each image, on the pixels as bytes:
    /// with h the histogram, S the count of every non-empty level but the last and step = ⌊S / 255⌋, level i becomes
    /// ⌊(⌊step / 2⌋ + Σ_{k&lt;i} h_k) / step⌋, at most 255; a channel with step 0 (one level, or nearly) is kept.</summary>
    public static Tensor Equalize(Tensor x)
    {
        using var scope = NewDisposeScope();
        long m = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var levels = Bytes(x).view(m * c, h * w);
        var histogram = zeros(m * c, 256, dtype: ScalarType.Int64).scatter_add_(1, levels, ones_like(levels));
        var last = 255 - (histogram > 0).flip(1).to_type(ScalarType.Int32).argmax(1, keepdim: true);
        var step = (histogram.sum(1, keepdim: true) - histogram.gather(1, last)).div(255, RoundingMode.floor);
        var below = histogram.cumsum(1) - histogram;
        var lut = (below + step.div(2, RoundingMode.floor)).div(step.clamp_min(1), RoundingMode.floor).clamp_max(255);
        lut = where(step.eq(0), arange(256).view(1, 256), lut);
        return (lut.gather(1, levels).view(m, c, h, w).to_type(x.dtype) / 255).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's Posterize: each pixel as a byte keeps its ⌊v⌋ highest bits.</summary>
    public static Tensor Posterize(Tensor x, Tensor v)
    {
        using var scope = NewDisposeScope();
        var drop = (8 - v.floor().clamp(1, 8)).exp2().to_type(ScalarType.Int64).view(-1, 1, 1, 1);
        return (Bytes(x).div(drop, RoundingMode.floor) * drop).to_type(x.dtype).div(255).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's Solarize: pixels at or above the threshold v are inverted.</summary>
    public static Tensor Solarize(Tensor x, Tensor v) => where(x >= PerImage(v), 1 - x, x);

    /// <summary>PIL's Sharpness: a blend with the image smoothed by PIL's SMOOTH filter ([1 1 1; 1 5 1; 1 1 1] / 13),
    /// whose border pixels PIL leaves as they are: smooth + v·(x − smooth).</summary>
    public static Tensor Sharpness(Tensor x, Tensor v)
    {
        long c = x.shape[1], h = x.shape[2], w = x.shape[3];
        if (h < 3 || w < 3) return x;
        using var scope = NewDisposeScope();
        var kernel = (tensor(new float[] { 1, 1, 1, 1, 5, 1, 1, 1, 1 }) / 13).view(1, 1, 3, 3).expand(c, 1, 3, 3).to_type(x.dtype);
        var smooth = x.clone();
        smooth[.., .., 1..(int)(h - 1), 1..(int)(w - 1)] = nn.functional.conv2d(x, kernel, groups: c);
        return (smooth + PerImage(v) * (x - smooth)).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's rotate by v degrees counter-clockwise about the image's centre, nearest sampling, black outside.</summary>
    public static Tensor Rotate(Tensor x, Tensor v)
    {
        using var scope = NewDisposeScope();
        double cx = x.shape[3] / 2.0, cy = x.shape[2] / 2.0;
        var radians = v.to_type(ScalarType.Float64) * (Math.PI / 180);
        var cos = radians.cos();
        var sin = radians.sin();
        // PIL's matrix for angle θ: the input point of output p is R(−θ)·(p − centre) + centre, y pointing down.
        return Affine(x, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's transform with (1, v, 0, 0, 1, 0): row y moves by v·y pixels.</summary>
    public static Tensor ShearX(Tensor x, Tensor v)
    {
        var s = v.to_type(ScalarType.Float64);
        return Affine(x, ones_like(s), s, zeros_like(s), zeros_like(s), ones_like(s), zeros_like(s));
    }

    /// <summary>PIL's transform with (1, 0, 0, v, 1, 0): column x moves by v·x pixels.</summary>
    public static Tensor ShearY(Tensor x, Tensor v)
    {
        var s = v.to_type(ScalarType.Float64);
        return Affine(x, ones_like(s), zeros_like(s), zeros_like(s), s, ones_like(s), zeros_like(s));
    }

    /// <summary>PIL's transform with (1, 0, v·W, 0, 1, 0): the image moves by v of its width (left for v &gt; 0).</summary>
    public static Tensor TranslateX(Tensor x, Tensor v)
    {
        var t = v.to_type(ScalarType.Float64) * x.shape[3];
        return Affine(x, ones_like(t), zeros_like(t), t, zeros_like(t), ones_like(t), zeros_like(t));
    }

    /// <summary>PIL's transform with (1, 0, 0, 0, 1, v·H): the image moves by v of its height (up for v &gt; 0).</summary>
    public static Tensor TranslateY(Tensor x, Tensor v)
    {
        var t = v.to_type(ScalarType.Float64) * x.shape[2];
        return Affine(x, ones_like(t), zeros_like(t), zeros_like(t), zeros_like(t), ones_like(t), t);
    }

    /// <summary>PIL's affine transform with nearest sampling, per image (each coefficient [m], float64): output pixel
    /// (x, y) takes the input pixel containing (a·x′ + b·y′ + c, d·x′ + e·y′ + f) at its centre x′ = x + ½, y′ = y + ½,
    /// or 0 (black) when that point is outside the image.</summary>
    public static Tensor Affine(Tensor x, Tensor a, Tensor b, Tensor c, Tensor d, Tensor e, Tensor f)
    {
        using var scope = NewDisposeScope();
        long m = x.shape[0], channels = x.shape[1], h = x.shape[2], w = x.shape[3];
        var xs = (arange(w, dtype: ScalarType.Float64) + 0.5).view(1, 1, w);
        var ys = (arange(h, dtype: ScalarType.Float64) + 0.5).view(1, h, 1);
        Tensor At(Tensor p) => p.view(-1, 1, 1);
        var column = (At(a) * xs + At(b) * ys + At(c)).floor();
        var row = (At(d) * xs + At(e) * ys + At(f)).floor();
        var inside = (column >= 0) & (column < w) & (row >= 0) & (row < h);
        var index = (row.clamp(0, h - 1) * w + column.clamp(0, w - 1)).to_type(ScalarType.Int64).view(m, 1, h * w).expand(m, channels, h * w);
        var sampled = x.reshape(m, channels, h * w).gather(2, index).view(m, channels, h, w);
        return (sampled * inside.unsqueeze(1).to_type(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>[m, 1, H, W]: ITU-R 601 luma of RGB (PIL's convert("L")), or the image if it has one channel.</summary>
    static Tensor Gray(Tensor x)
    {
        if (x.shape[1] != 3) return x;
        using var weights = tensor(new float[] { 0.299f, 0.587f, 0.114f }, dtype: x.dtype).view(1, 3, 1, 1);
        return (x * weights).sum(1, keepdim: true);
    }

    /// <summary>The pixels as the bytes PIL would hold, 0–255, int64.</summary>
    static Tensor Bytes(Tensor x) => (x * 255).round().clamp(0, 255).to_type(ScalarType.Int64);

    static Tensor PerImage(Tensor v) => v.view(-1, 1, 1, 1);
}
