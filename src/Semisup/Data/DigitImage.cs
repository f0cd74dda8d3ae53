using System.Runtime.InteropServices;
using SkiaSharp;

namespace Semisup.Data;

/// <summary>Turns any PNG (any size or colour) into a 28×28 MNIST-like image: grayscale, white ink on black
/// (inverted when the background is light), the ink's bounding box scaled to fit 20×20 keeping its aspect ratio,
/// then placed so its centre of mass is at the centre, as LeCun et al. prepared MNIST. Files are read, and images
/// refused, as <see cref="ImageDecoder"/> reads and refuses them; the steps after that are MNIST's.</summary>
public static class DigitImage
{
    /// <summary>The side of the images it makes, MNIST's.</summary>
    public const int Side = 28;
    const int Size = Side, Box = 20;

    /// <summary>A larger image is reduced while it decodes, by averaging blocks of pixels, to at most this side: a
    /// 4096×4096 image then needs 4 MB of grayscale instead of 64 MB of pixels, and the 20-pixel box loses nothing.</summary>
    public const int WorkingSide = 1024;

    /// <param name="name">Starts its error messages (the path by default).</param>
    public static float[] Load(string path, string? name = null) =>
        Decode(ImageDecoder.ReadFile(path, name), name ?? path, "replace it with an image file");

    /// <summary>As <see cref="Load"/>, from an encoded image in memory; <paramref name="name"/> starts its error messages.</summary>
    public static float[] FromBytes(byte[] encoded, string name = "the image") =>
        Decode(encoded, name, $"send a whole {ImageDecoder.Formats} image");

    /// <summary>The image as MNIST input, refusing one too large to decode or decoded only in part. It is read a row at a
    /// time into the reduced grayscale where the codec allows (PNG, JPEG, BMP drawn top-down); JPEG and WebP also
    /// decode at a fraction of their size themselves.</summary>
    static float[] Decode(byte[] encoded, string name, string fix)
    {
        using var codec = ImageDecoder.Open(encoded, name, fix, "scale it down first");
        var size = codec.Info.Size;
        int longest = Math.Max(size.Width, size.Height);
        if (longest > WorkingSide && codec.GetScaledDimensions((float)WorkingSide / longest) is { Width: >= 1, Height: >= 1 } scaled
            && scaled.Width <= size.Width && scaled.Height <= size.Height)
            size = scaled;
        var decoded = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var gray = new Reduction(size.Width, size.Height);
        // A truncated file decodes in part and leaves the rest blank; a digit guessed from that would be a wrong answer.
        void Refused(SKCodecResult result) => throw ImageDecoder.Incomplete(name, result, fix);
        if (codec.StartScanlineDecode(decoded) == SKCodecResult.Success && codec.ScanlineOrder == SKCodecScanlineOrder.TopDown)
        {
            var row = new byte[decoded.RowBytes];
            var pinned = GCHandle.Alloc(row, GCHandleType.Pinned);
            try
            {
                for (int y = 0; y < size.Height; y++)
                {
                    if (codec.GetScanlines(pinned.AddrOfPinnedObject(), 1, row.Length) != 1) Refused(SKCodecResult.IncompleteInput);
                    gray.Add(row, y);
                }
            }
            finally { pinned.Free(); }
        }
        else
        {
            // GIF, interlaced PNG and bottom-up BMP decode whole.
            using var bitmap = new SKBitmap(decoded);
            var result = codec.GetPixels(decoded, bitmap.GetPixels());
            if (result != SKCodecResult.Success) Refused(result);
            var pixels = bitmap.GetPixelSpan();
            for (int y = 0; y < size.Height; y++) gray.Add(pixels.Slice(y * decoded.RowBytes, decoded.RowBytes), y);
        }
        return FromGray(gray.Values, gray.Width, gray.Height);
    }

    public static float[] FromBitmap(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height;
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var pinned = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = bitmap.PeekPixels();
            if (pixmap == null || !pixmap.ReadPixels(info, pinned.AddrOfPinnedObject(), info.RowBytes))
                throw new SemisupException($"a {w}×{h} {bitmap.ColorType} bitmap could not be read as RGBA.");
        }
        finally { pinned.Free(); }
        var gray = new Reduction(w, h);
        for (int y = 0; y < h; y++) gray.Add(rgba.AsSpan(y * info.RowBytes, info.RowBytes), y);
        return FromGray(gray.Values, gray.Width, gray.Height);
    }

    /// <summary>Grayscale in [0, 1] (1 is paper), reduced by an integer factor to at most <see cref="WorkingSide"/> a
    /// side by averaging each block, from unpremultiplied RGBA rows given top to bottom.</summary>
    sealed class Reduction
    {
        readonly int factor, sourceWidth;
        readonly float[] sums;
        readonly int[] counts;
        public int Width { get; }
        public int Height { get; }

        public Reduction(int width, int height)
        {
            factor = Math.Max(1, (Math.Max(width, height) + WorkingSide - 1) / WorkingSide);
            (sourceWidth, Width, Height) = (width, (width + factor - 1) / factor, (height + factor - 1) / factor);
            sums = new float[Width * Height];
            counts = factor == 1 ? [] : new int[Width * Height];
        }

        public void Add(ReadOnlySpan<byte> rgba, int y)
        {
            int at = y / factor * Width;
            for (int x = 0; x < sourceWidth; x++)
            {
                var c = rgba.Slice(4 * x, 4);
                float a = c[3] / 255f, luma = (0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]) / 255f;
                sums[at + x / factor] += a * luma + (1 - a); // transparent areas count as white paper
                if (factor > 1) counts[at + x / factor]++;
            }
        }

        public float[] Values
        {
            get
            {
                if (factor > 1) for (int i = 0; i < sums.Length; i++) sums[i] /= Math.Max(1, counts[i]);
                return sums;
            }
        }
    }

    static float[] FromGray(float[] gray, int w, int h)
    {
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
        Marshal.Copy(bytes, 0, crop.GetPixels(), bytes.Length);
        using var scaled = crop.Resize(new SKImageInfo(sw, sh, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKCubicResampler.Mitchell));
        var scaledPixels = scaled.GetPixelSpan();

        var small = new float[sw * sh];
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
            {
                float v = scaledPixels[y * scaled.RowBytes + x] / 255f;
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

    /// <summary>Whether an image <see cref="FromBitmap"/> (or a load) made holds no ink at all: every prediction from it
    /// is meaningless.</summary>
    public static bool IsBlank(ReadOnlySpan<float> pixels) => pixels.IndexOfAnyExcept(0f) < 0;
}
