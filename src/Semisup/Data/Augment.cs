using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Data;

/// <summary>The lab's augmentation, per image and online: rotation by a uniform angle in [−deg, deg] about the
/// centre (size kept), then pad by <c>shift</c> pixels and take a random crop of the original size, i.e. an
/// integer translation in [−shift, shift] with zero fill. Both are one affine grid, sampled once. Optionally,
/// elastic distortion (Simard et al. 2003): a displacement field of U(−1, 1) per pixel, smoothed by a Gaussian of
/// width <c>ElasticSigma</c> and scaled by <c>ElasticAlpha</c> pixels, added to the same grid.
/// The grid is sampled bilinearly (libtorch's grid_sample) or, with <c>Interpolation</c> "bicubic", by cubic
/// convolution, closer to the cubic splines of scipy's rotate that the lab used. Last, optionally, cutout (DeVries
/// and Taylor 2017, part of FixMatch's strong augmentation): a <c>Cutout</c>×<c>Cutout</c> square at a uniform
/// centre, clipped at the border, set to 0 (background).</summary>
/// <param name="Scale">Zoom by a uniform factor in [1 − Scale, 1 + Scale]; 0 turns it off.</param>
/// <param name="Shear">Shear by a uniform factor in [−Shear, Shear] (a slanted digit); 0 turns it off.</param>
/// <param name="Contrast">Last, each image's contrast about its mean by a uniform factor in [1 − Contrast, 1 + Contrast],
/// clipped to [0, 1]: faint or heavy strokes, a grey background; 0 turns it off.</param>
/// <param name="Flip">Mirror each image left to right with probability ½, in the same grid: for clothes, never for
/// digits (a mirrored 2 is no digit).</param>
/// <param name="Crop">The photo views' translation (FixMatch's weak view): pad each side by this fraction of the side
/// (rounded: 0.125 is 4 pixels at 32, as FixMatch), reflecting, and crop back at a random place; 0 turns it off.</param>
/// <param name="RandAugment">The photo views' RandAugment (FixMatch's strong view): this many operations per image,
/// each drawn from FixMatch's 14 at a random magnitude (<see cref="PhotoOps.RandAugment"/>); 0 turns it off.</param>
/// <param name="CutoutFill">The value cutout's square is set to (0 background; FixMatch's code: 0.5, grey).</param>
/// <remarks>With <c>crop</c> or <c>randAugment</c> on (a photo view), the steps are exact pixel operations in this order:
/// crop, flip, the grid (only if rotation, shift, zoom, shear or elastic distortion is on), RandAugment, cutout,
/// contrast. Without them (a digit view), flipping stays in the grid as before, so digit views draw the same random
/// numbers as they always have.</remarks>
public sealed record Augment(double RotationDegrees = 25, int Shift = 3, double ElasticAlpha = 0, double ElasticSigma = 4, string Interpolation = "bilinear", int Cutout = 0,
    double Scale = 0, double Shear = 0, double Contrast = 0, bool Flip = false, double Crop = 0, int RandAugment = 0, double CutoutFill = 0)
{
    /// <summary>FixMatch's strongly altered view of the unlabeled images (its methods say which use it); none if null.</summary>
    public Augment? Strong { get; init; }

    static readonly IReadOnlyDictionary<string, Func<Tensor, Tensor, Tensor>> Samplers = new Dictionary<string, Func<Tensor, Tensor, Tensor>>
    {
        ["bilinear"] = (images, grid) => functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false),
        ["bicubic"] = Bicubic,
    };

    public static IReadOnlyCollection<string> Interpolations => [.. Samplers.Keys];

    /// <summary>Whether it alters images at all.</summary>
    public bool IsIdentity => RotationDegrees == 0 && Shift == 0 && ElasticAlpha == 0 && Cutout == 0 && Scale == 0 && Shear == 0 && Contrast == 0 && !Flip
        && Crop == 0 && RandAugment == 0;

    /// <summary>Whether it is a photo view: exact crop, flip and RandAugment instead of the digits' sampled grid.</summary>
    bool IsPhoto => Crop > 0 || RandAugment > 0;

    /// <summary>Whether the sampled grid moves anything apart from flipping.</summary>
    bool Warps => RotationDegrees != 0 || Shift != 0 || ElasticAlpha != 0 || Scale != 0 || Shear != 0;

    /// <summary>What cannot augment, each as "key: why".</summary>
    public IEnumerable<string> Problems()
    {
        if (RotationDegrees < 0) yield return $"rotationDegrees: {RotationDegrees} must not be negative";
        if (Shift < 0) yield return $"shift: {Shift} must not be negative";
        if (ElasticAlpha < 0) yield return $"elasticAlpha: {ElasticAlpha} must not be negative (0 turns it off)";
        if (!(ElasticSigma > 0)) yield return $"elasticSigma: {ElasticSigma} must be positive";
        if (Cutout < 0) yield return $"cutout: {Cutout} must not be negative (0 turns it off)";
        if (!Samplers.ContainsKey(Interpolation)) yield return $"interpolation: '{Interpolation}' is not one of {string.Join(", ", Interpolations)}";
        if (Scale is < 0 or >= 1) yield return $"scale: {Scale} must be in [0, 1)";
        if (Shear is < 0 or > 1) yield return $"shear: {Shear} must be in [0, 1]";
        if (Contrast is < 0 or > 1) yield return $"contrast: {Contrast} must be in [0, 1]";
        if (Crop is < 0 or >= 0.5) yield return $"crop: {Crop} must be in [0, 0.5) (a fraction of the side; 0.125 pads 32 pixels by 4)";
        if (RandAugment is < 0 or > 14) yield return $"randAugment: {RandAugment} must be between 0 (off) and 14 operations per image (FixMatch: 2)";
        if (CutoutFill is < 0 or > 1) yield return $"cutoutFill: {CutoutFill} must be in [0, 1]";
        foreach (var problem in Strong?.Problems() ?? []) yield return $"strong.{problem}";
        if (Strong?.Strong != null) yield return "strong.strong: a strong view has no strong view of its own";
    }

    public Tensor Apply(Tensor images)
    {
        if (ElasticAlpha < 0 || ElasticSigma <= 0) throw new SemisupException($"elastic distortion: alpha {ElasticAlpha} must be ≥ 0 and sigma {ElasticSigma} > 0.");
        if (Cutout < 0 || Cutout > Math.Min(images.shape[2], images.shape[3]))
            throw new SemisupException($"cutout {Cutout}: must be between 0 (off) and the image side, {Math.Min(images.shape[2], images.shape[3])}.");
        using var scope = NewDisposeScope();
        long n = images.shape[0], h = images.shape[2], w = images.shape[3];
        Tensor sampled;
        if (IsPhoto)
        {
            sampled = images;
            if (Crop > 0) sampled = PhotoOps.Crop(sampled, Padding(h), Padding(w));
            if (Flip) sampled = PhotoOps.Flip(sampled);
            if (Warps) sampled = Warp(sampled, flip: false);
            if (RandAugment > 0) sampled = PhotoOps.RandAugment(sampled, RandAugment);
        }
        else sampled = Warp(images, Flip);
        if (Cutout > 0)
        {
            var keep = CutoutMask(n, h, w);
            sampled = CutoutFill == 0 ? sampled * keep : sampled * keep + (1 - keep) * CutoutFill;
        }
        if (Contrast > 0)
        {
            var factor = (1 + (rand(n, 1, 1, 1) * 2 - 1) * Contrast).to_type(sampled.dtype);
            var mean = sampled.mean([1, 2, 3], keepdim: true);
            sampled = ((sampled - mean) * factor + mean).clamp(0, 1);
        }
        return sampled.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Crop"/>'s padding of a side: the fraction rounded to whole pixels.</summary>
    int Padding(long side) => (int)Math.Round(Crop * side, MidpointRounding.AwayFromZero);

    /// <summary>Rotation, shift, zoom, shear, flip if <paramref name="flip"/>, and elastic distortion, as one grid sampled once.</summary>
    Tensor Warp(Tensor images, bool flip)
    {
        long n = images.shape[0], h = images.shape[2], w = images.shape[3];
        var angle = (rand(n) * 2 - 1) * (RotationDegrees * Math.PI / 180);
        // Integer pixel shifts, converted to the grid's [−1, 1] coordinates (align_corners=false: a pixel is 2/size).
        var dx = randint(-Shift, Shift + 1, [n]).to_type(ScalarType.Float32) * (2.0 / w);
        var dy = randint(-Shift, Shift + 1, [n]).to_type(ScalarType.Float32) * (2.0 / h);
        var cos = angle.cos(); var sin = angle.sin();
        // Output pixel p samples input at R⁻¹(p − t): rotation by −θ applied to the shifted coordinate.
        var theta = stack([
            stack([cos, -sin, -(cos * dx - sin * dy)], 1),
            stack([sin, cos, -(sin * dx + cos * dy)], 1)], 1);
        // Drawn only when asked for, so settings without them keep the random stream they had before the options existed.
        if (Scale > 0 || Shear > 0) theta = ScaledAndSheared(theta, n, dx, dy);
        // The input point's x negated: the output samples the mirrored image (pixel centres map onto pixel centres).
        if (flip) theta = theta * stack([(randint(0, 2, [n]) * 2 - 1).to_type(ScalarType.Float32), ones(n)], 1).unsqueeze(2);
        var grid = functional.affine_grid(theta, [n, images.shape[1], h, w], align_corners: false);
        if (ElasticAlpha > 0) grid = grid + ElasticField(n, h, w);
        return Sample(images, grid);
    }

    /// <summary>The rotation's map followed by a zoom and a shear: the input point of output p is M⁻¹R⁻¹(p − t), with
    /// M⁻¹ = [[1/s, k], [0, 1/s]] for a zoom s and shear k drawn per image.</summary>
    Tensor ScaledAndSheared(Tensor theta, long n, Tensor dx, Tensor dy)
    {
        var zoom = 1 / (1 + (rand(n) * 2 - 1) * Scale);
        var shear = (rand(n) * 2 - 1) * Shear;
        var inverse = stack([stack([zoom, shear], 1), stack([zeros_like(zoom), zoom], 1)], 1); // [n, 2, 2]
        var linear = inverse.matmul(theta[.., .., ..2]);
        var shift = -linear.matmul(stack([dx, dy], 1).unsqueeze(2));
        return cat([linear, shift], 2);
    }

    /// <summary>[n, 1, h, w]: 0 inside each image's square, 1 elsewhere. Drawn after the grid, so settings without
    /// cutout keep the random stream it had before the option existed.</summary>
    Tensor CutoutMask(long n, long h, long w)
    {
        var top = randint(0, h, [n, 1, 1]) - Cutout / 2;
        var left = randint(0, w, [n, 1, 1]) - Cutout / 2;
        var rows = arange(h).view(1, h, 1);
        var columns = arange(w).view(1, 1, w);
        var inside = (rows >= top) & (rows < top + Cutout) & (columns >= left) & (columns < left + Cutout);
        return inside.logical_not().unsqueeze(1).to_type(ScalarType.Float32);
    }

    /// <summary>The images at the grid's points ([n, h, w, 2], align_corners=false), zeros outside.</summary>
    public Tensor Sample(Tensor images, Tensor grid) => Samplers.TryGetValue(Interpolation, out var sample) ? sample(images, grid)
        : throw new SemisupException($"interpolation '{Interpolation}': known are {string.Join(", ", Interpolations)}.");

    /// <summary>Cubic convolution (Keys 1981) over a 4×4 neighbourhood, zeros outside the image. a = −0.5 reproduces
    /// quadratics and is the nearest of Keys' kernels to scipy's cubic splines (libtorch's own bicubic mode uses
    /// a = −0.75, and TorchSharp 0.107's grid_sample does not expose it), so the 16 taps are gathered by hand, in
    /// one gather from the image padded with zeros.</summary>
    static Tensor Bicubic(Tensor images, Tensor grid)
    {
        const int pad = 4;
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        long gh = grid.shape[1], gw = grid.shape[2], stride = w + 2 * pad;
        // Grid to pixel coordinates (align_corners=false): p = ((g + 1)·size − 1) / 2, x and y in the last dimension.
        var size = tensor(new float[] { w, h });
        var p = ((grid + 1) * size - 1) / 2;
        var floor = p.floor();
        var t = p - floor;
        // Weights of the taps floor − 1 … floor + 2 per axis, by Horner: ((k3·t + k2)·t + k1)·t + k0.
        var k = KeysMatrix();
        var tColumn = t.unsqueeze(-1);
        var weights = ((k[3] * tColumn + k[2]) * tColumn + k[1]) * tColumn + k[0]; // [n, gh, gw, 2, 4]
        var tapWeights = weights[.., .., .., 1, .., TensorIndex.None] * weights[.., .., .., 0, TensorIndex.None, ..]; // [.., 4 (y), 4 (x)]
        // Every tap of a point with floor ≤ −4 or ≥ size + 1 is outside the image (zero), so moving the point to −3 or
        // size + 1 changes nothing and keeps its taps, floor − 1 … floor + 2, within the padding of 4.
        var floorPadded = minimum(floor, size + 1).clamp_min(-3) + pad;
        var floorIndex = (floorPadded[.., .., .., 1] * stride + floorPadded[.., .., .., 0]).to_type(ScalarType.Int64).reshape(n, -1, 1);
        var offsets = (arange(-1, 3).unsqueeze(1) * stride + arange(-1, 3)).reshape(1, 1, 16);
        var index = (floorIndex + offsets).reshape(n, 1, -1).expand(n, c, -1);
        var taps = functional.pad(images, [pad, pad, pad, pad]).reshape(n, c, -1).gather(2, index).reshape(n, c, gh, gw, 4, 4);
        return (taps * tapWeights.unsqueeze(1)).sum([-2, -1]);
    }

    // k(d) = 1.5|d|³ − 2.5|d|² + 1 for |d| ≤ 1, −0.5|d|³ + 2.5|d|² − 4|d| + 2 for 1 < |d| < 2 (Keys, a = −0.5), as
    // polynomials in t = p − floor(p) for the taps at distances 1 + t, t, 1 − t, 2 − t: rows 1, t, t², t³.
    static Tensor KeysMatrix() => tensor(new float[]
    {
         0,    1,    0,    0,
        -0.5f, 0,    0.5f, 0,
         1,   -2.5f, 2,   -0.5f,
        -0.5f, 1.5f, -1.5f, 0.5f,
    }).reshape(4, 4);

    /// <summary>[n, h, w, 2] displacements in grid coordinates (a pixel is 2/size).</summary>
    Tensor ElasticField(long n, long h, long w)
    {
        int radius = (int)Math.Ceiling(3 * ElasticSigma);
        var offsets = arange(-radius, radius + 1, dtype: ScalarType.Float32);
        var g = (-(offsets * offsets) / (2 * ElasticSigma * ElasticSigma)).exp();
        g = g / g.sum();
        var kernel = outer(g, g).expand(2, 1, 2 * radius + 1, 2 * radius + 1); // one Gaussian per displacement channel
        var field = functional.conv2d(rand(n, 2, h, w) * 2 - 1, kernel, padding: [radius, radius], groups: 2) * ElasticAlpha;
        var scale = tensor(new[] { 2f / w, 2f / h }); // (x, y) order of the grid's last dimension
        return field.permute(0, 2, 3, 1) * scale;
    }
}
