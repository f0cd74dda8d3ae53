using Semisup.Tests.Data;
using SkiaSharp;

namespace Semisup.Tests.Serve;

/// <summary>Shared helpers: the shipped checkpoints and MNIST test digits encoded as PNG.</summary>
public static class ServeData
{
    public static string Checkpoint => Path.Combine(Repo.Root, "models", "gamma-seed1", "best.ckpt");
    public static string Checkpoint2 => Path.Combine(Repo.Root, "models", "gamma-hidden-500-long-seed2", "best.ckpt");

    /// <summary>The <paramref name="index"/>th MNIST test image (28×28 bytes, white ink on black).</summary>
    public static byte[] Pixels(MnistFixture mnist, int index) => mnist.Files.TestImages.Data.AsSpan(index * 784, 784).ToArray();

    public static int Label(MnistFixture mnist, int index) => mnist.Files.TestLabels.Data[index];

    /// <summary>The first test image of class <paramref name="label"/>.</summary>
    public static int FirstOf(MnistFixture mnist, int label) => Enumerable.Range(0, 10000).First(i => Label(mnist, i) == label);

    /// <summary>An MNIST digit as a PNG, scaled up <paramref name="scale"/> times (nearest neighbour).</summary>
    public static byte[] Png(byte[] pixels, int scale = 4, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        int side = 28 * scale;
        using var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                byte v = pixels[y / scale * 28 + x / scale];
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }
}
