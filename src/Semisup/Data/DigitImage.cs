using SkiaSharp;

namespace Semisup.Data;

/// <summary>Turns any PNG (any size or colour) into a 28×28 MNIST-like image: grayscale, white ink on black
/// (inverted when the background is light), the ink's bounding box scaled to fit 20×20 keeping its aspect ratio,
/// then placed so its centre of mass is at the centre, as LeCun et al. prepared MNIST.</summary>
public static class DigitImage
{
    public const int MaxPixels = 4096 * 4096;
    /// <summary>The side of the images it makes, MNIST's.</summary>
    public const int Side = 28;
    const int Size = Side, Box = 20;

    public static float[] Load(string path) => Decode(SKCodec.Create(path), path, "the file");

    /// <summary>As <see cref="Load"/>, from an encoded image in memory; <paramref name="name"/> starts its error messages.</summary>
    public static float[] FromBytes(byte[] encoded, string name = "the image")
    {
        using var data = SKData.CreateCopy(encoded);
        return Decode(SKCodec.Create(data), name, "it");
    }

    /// <summary>The codec's image as MNIST input, refusing one too large to decode or decoded only in part.</summary>
    static float[] Decode(SKCodec? made, string name, string what)
    {
        using var codec = made ?? throw new SemisupException($"{name}: not a readable image (PNG, JPEG, BMP, GIF or WebP expected).");
        var info = codec.Info;
        if ((long)info.Width * info.Height > MaxPixels)
            throw new SemisupException($"{name}: {info.Width}×{info.Height} pixels is too large (at most {MaxPixels:N0}); scale it down first.");
        var decoded = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(decoded);
        // A truncated file decodes in part and leaves the rest blank; a digit guessed from that would be a wrong answer.
        var result = codec.GetPixels(decoded, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new SemisupException($"{name}: the image could not be decoded ({result}); {what} may be truncated or corrupt.");
        return FromBitmap(bitmap);
    }

    public static float[] FromBitmap(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height;
        var gray = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                float a = c.Alpha / 255f, luma = (0.299f * c.Red + 0.587f * c.Green + 0.114f * c.Blue) / 255f;
                gray[y * w + x] = a * luma + (1 - a); // transparent areas count as white paper
            }
        if (gray.Average() > 0.5f) for (int i = 0; i < gray.Length; i++) gray[i] = 1 - gray[i];

        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (gray[y * w + x] > 0.1f) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); }
        var result = new float[Size * Size];
        if (x1 < 0) return result;

        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double scale = (double)Box / Math.Max(bw, bh);
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
        int ox = mass > 0 ? (int)Math.Round(Size / 2.0 - cx / mass - 0.5) : (Size - sw) / 2;
        int oy = mass > 0 ? (int)Math.Round(Size / 2.0 - cy / mass - 0.5) : (Size - sh) / 2;
        ox = Math.Clamp(ox, 0, Size - sw);
        oy = Math.Clamp(oy, 0, Size - sh);
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                result[(oy + y) * Size + ox + x] = small[y * sw + x];
        return result;
    }
}
