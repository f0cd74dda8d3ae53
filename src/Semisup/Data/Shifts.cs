using static TorchSharp.torch;

namespace Semisup.Data;

/// <summary>Test-time augmentation: an image and its copies moved by a pixel left, right, up and down (zeros fill),
/// whose predicted probabilities a classifier averages.</summary>
public static class Shifts
{
    public static readonly (int Dy, int Dx)[] Moves = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0)];

    /// <summary>[n, c, h, w] images moved by <paramref name="move"/>: the pixel at (y, x) comes from (y − dy, x − dx).</summary>
    public static Tensor Moved(Tensor images, (int Dy, int Dx) move)
    {
        if (move == (0, 0)) return images.alias();
        long h = images.shape[2], w = images.shape[3];
        using var padded = nn.functional.pad(images, [1, 1, 1, 1]);
        return padded[.., .., (1 - move.Dy)..(1 - move.Dy + (int)h), (1 - move.Dx)..(1 - move.Dx + (int)w)].contiguous();
    }
}
