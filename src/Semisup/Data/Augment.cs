using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Data;

/// <summary>The lab's augmentation, per image and online: rotation by a uniform angle in [−deg, deg] about the
/// centre (size kept), then pad by <c>shift</c> pixels and take a random crop of the original size, i.e. an
/// integer translation in [−shift, shift] with zero fill. Both are one affine grid, sampled once. Optionally,
/// elastic distortion (Simard et al. 2003): a displacement field of U(−1, 1) per pixel, smoothed by a Gaussian of
/// width <c>ElasticSigma</c> and scaled by <c>ElasticAlpha</c> pixels, added to the same grid.</summary>
public sealed record Augment(double RotationDegrees = 25, int Shift = 3, double ElasticAlpha = 0, double ElasticSigma = 4)
{
    public Tensor Apply(Tensor images)
    {
        if (ElasticAlpha < 0 || ElasticSigma <= 0) throw new SemisupException($"elastic distortion: alpha {ElasticAlpha} must be ≥ 0 and sigma {ElasticSigma} > 0.");
        using var scope = NewDisposeScope();
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
        var grid = functional.affine_grid(theta, [n, images.shape[1], h, w], align_corners: false);
        if (ElasticAlpha > 0) grid = grid + ElasticField(n, h, w);
        return functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
            .MoveToOuterDisposeScope();
    }

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
