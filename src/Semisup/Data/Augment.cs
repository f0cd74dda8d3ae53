using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Data;

/// <summary>The lab's augmentation, per image and online: rotation by a uniform angle in [−deg, deg] about the
/// centre (size kept), then pad by <c>shift</c> pixels and take a random crop of the original size, i.e. an
/// integer translation in [−shift, shift] with zero fill. Both are one affine grid, sampled once.</summary>
public sealed record Augment(double RotationDegrees = 25, int Shift = 3)
{
    public Tensor Apply(Tensor images)
    {
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
        return functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
            .MoveToOuterDisposeScope();
    }
}
