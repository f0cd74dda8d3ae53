using Semisup.Data;
using SkiaSharp;

namespace Semisup.Tests.Data;

/// <summary>Large images are reduced while they decode, without the full-size pixels in memory, to what a smaller copy
/// of the same picture gives; small images are prepared exactly as before.</summary>
[Collection("mnist")]
public class LargeImageTests(MnistFixture mnist)
{
    /// <summary>An MNIST test digit, dark ink on white paper, each pixel a <paramref name="scale"/>-pixel square.</summary>
    static SKBitmap Digit(MnistFixture mnist, int index, int scale)
    {
        int side = 28 * scale;
        var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                byte v = (byte)(255 - mnist.Files.TestImages.Data[index * 784 + y / scale * 28 + x / scale]);
                int at = 4 * (y * side + x);
                (pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]) = (v, v, v, 255);
            }
        return bitmap;
    }

    static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 100)
    {
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>The preparation as it was written first, pixel by pixel with GetPixel: the reference.</summary>
    static float[] Reference(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height;
        var gray = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                float a = c.Alpha / 255f, luma = (0.299f * c.Red + 0.587f * c.Green + 0.114f * c.Blue) / 255f;
                gray[y * w + x] = a * luma + (1 - a);
            }
        if (gray.Average() > 0.5f) for (int i = 0; i < gray.Length; i++) gray[i] = 1 - gray[i];
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (gray[y * w + x] > 0.1f) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); }
        var result = new float[784];
        if (x1 < 0) return result;
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double scale = 20.0 / Math.Max(bw, bh);
        int sw = Math.Max(1, (int)Math.Round(bw * scale)), sh = Math.Max(1, (int)Math.Round(bh * scale));
        using var crop = new SKBitmap(bw, bh, SKColorType.Gray8, SKAlphaType.Opaque);
        var bytes = new byte[bw * bh];
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
                bytes[y * bw + x] = (byte)Math.Round(255 * gray[(y0 + y) * w + x0 + x]);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, crop.GetPixels(), bytes.Length);
        using var scaled = crop.Resize(new SKImageInfo(sw, sh, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKCubicResampler.Mitchell));
        var small = new float[sw * sh];
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
            {
                float v = scaled.GetPixel(x, y).Red / 255f;
                small[y * sw + x] = v;
                mass += v; cx += v * x; cy += v * y;
            }
        int ox = Math.Clamp((int)Math.Round(14 - cx / mass - 0.5), 0, 28 - sw), oy = Math.Clamp((int)Math.Round(14 - cy / mass - 0.5), 0, 28 - sh);
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                result[(oy + y) * 28 + ox + x] = small[y * sw + x];
        return result;
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(7, 10)]
    [InlineData(11, 36)]
    public void An_image_within_the_working_side_is_prepared_exactly_as_the_reference(int index, int scale)
    {
        using var bitmap = Digit(mnist, index, scale);
        var png = Encode(bitmap, SKEncodedImageFormat.Png);
        using var decoded = SKBitmap.Decode(png);
        Assert.Equal(Reference(decoded), DigitImage.FromBytes(png));
        Assert.Equal(Reference(decoded), DigitImage.FromBitmap(decoded));
    }

    [Fact]
    public void A_4096_pixel_png_is_reduced_while_decoding_to_what_its_1024_pixel_copy_gives()
    {
        // 28 × 146 = 4088 pixels a side: each block of 4×4 pixels averages to one pixel of the 1022-pixel copy.
        using var large = Digit(mnist, 3, 146);
        var png = Encode(large, SKEncodedImageFormat.Png);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var prepared = DigitImage.FromBytes(png);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The whole image as floats would be 67 MB; reduced, 4 MB.
        Assert.InRange(allocated, 0, 12L << 20);
        using var small = Digit(mnist, 3, 146 / 4);
        var expected = DigitImage.FromBytes(Encode(small, SKEncodedImageFormat.Png));
        Assert.All(prepared.Zip(expected), p => Assert.Equal(p.Second, p.First, 0.01f));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void Large_jpeg_and_webp_images_give_the_digit_their_small_copy_gives(SKEncodedImageFormat format)
    {
        using var large = Digit(mnist, 3, 100);
        using var small = Digit(mnist, 3, 25);
        var prepared = DigitImage.FromBytes(Encode(large, format, 95));
        var expected = DigitImage.FromBytes(Encode(small, SKEncodedImageFormat.Png));
        Assert.InRange(prepared.Zip(expected, (a, b) => Math.Abs(a - b)).Average(), 0, 0.03);
    }
}
