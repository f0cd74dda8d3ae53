using SkiaSharp;

namespace Semisup.Data;

/// <summary>The shape images are decoded to: <paramref name="Channels"/> (1 gray, 3 RGB) planes of
/// <paramref name="Size"/>×<paramref name="Size"/> bytes.</summary>
public sealed record ImageShape(int Channels = 3, int Size = 32)
{
    public const int MinSize = 8, MaxSize = 512;

    /// <summary>Bytes of one decoded image, C×H×W.</summary>
    public int Bytes => Channels * Size * Size;

    public override string ToString() => $"{Channels}×{Size}×{Size}";

    public void Validate()
    {
        if (Channels is not (1 or 3)) throw new SemisupException($"channels {Channels}: give 1 (gray) or 3 (RGB).");
        if (Size is < MinSize or > MaxSize) throw new SemisupException($"size {Size}: give a side from {MinSize} to {MaxSize} pixels.");
    }
}

/// <summary>What a file holds before conversion.</summary>
public enum ImageKind : byte { Gray, Rgb, Rgba }

/// <summary>What the decoder saw of a file: its pixels as stored (before EXIF orientation) and their kind.</summary>
public readonly record struct ImageSourceInfo(int Width, int Height, ImageKind Kind);

/// <summary>Decodes PNG, JPEG, BMP, GIF (its first frame) and WebP files into C×H×W bytes, the one way every command
/// prepares a photo:
/// <list type="number">
/// <item>the file's EXIF orientation is applied, as phones write it;</item>
/// <item>transparent pixels are composited onto <see cref="Background"/>, white: transparency mostly surrounds product
///   shots and drawings on white pages, and <see cref="DigitImage"/> treats it as white paper too;</item>
/// <item>the shorter side is resized to the size and the centre square kept (torchvision's Resize then CenterCrop),
///   with Skia's mipmapped bilinear sampling, so downscaling averages rather than aliases; JPEG and WebP are decoded
///   already downscaled, to the smallest scale that still covers the size;</item>
/// <item>gray is PIL's convert("L"): (19595·R + 38470·G + 7471·B + 2¹⁵) / 2¹⁶, the ITU-R 601 luma in integers.</item>
/// </list>
/// Files above <see cref="MaxPixels"/> pixels are refused from their header, before any pixel is decoded; files
/// decoded only in part (truncated, corrupt) are refused. <see cref="DigitImage"/> opens files the same way.</summary>
public static class ImageDecoder
{
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];
    public static readonly SKColor Background = SKColors.White;
    /// <summary>The pixel limit, for photos and for <see cref="DigitImage"/>'s drawings alike: 64 MB of RGBA.</summary>
    public const long MaxPixels = 4096 * 4096;
    /// <summary>No image within the pixel limit needs more: a 16-bit RGBA BMP of 4096×4096 is 128 MiB.</summary>
    public const long MaxFileBytes = 256L << 20;
    /// <summary>Changes whenever decoding gives other bytes, so caches of the old bytes are not used.</summary>
    public const int Version = 1;

    public const string Formats = "PNG, JPEG, BMP, GIF or WebP";

    public static bool HasImageExtension(string name) =>
        Extensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase);

    static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>The file as C×H×W bytes; errors name <paramref name="name"/> (the path by default).</summary>
    public static byte[] DecodeFile(string path, ImageShape shape, string? name = null)
    {
        var chw = new byte[shape.Bytes];
        Decode(ReadFile(path, name), shape, chw, name ?? path, "replace or remove it");
        return chw;
    }

    /// <summary>An encoded image in memory (an upload) as C×H×W bytes; errors start with <paramref name="name"/>.</summary>
    public static byte[] DecodeBytes(byte[] encoded, ImageShape shape, string name = "the image")
    {
        var chw = new byte[shape.Bytes];
        Decode(encoded, shape, chw, name, $"send a whole {Formats} image");
        return chw;
    }

    /// <summary>A file's bytes, refusing one larger than <see cref="MaxFileBytes"/>, one that cannot be read, and what is
    /// not a regular file (a FIFO would block the read for ever); errors start with <paramref name="name"/> (the path by default).</summary>
    public static byte[] ReadFile(string path, string? name = null)
    {
        name ??= path;
        if (SafeFiles.NotRegular(path) is { } special) throw new SemisupException($"{name}: {special}; give an image file.");
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (file.Length > MaxFileBytes)
                throw new SemisupException($"{name}: {file.Length:N0} bytes is more than any image within the pixel limit needs ({MaxFileBytes:N0}); scale it down or remove it.");
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (UnauthorizedAccessException)
        {
            throw new SemisupException($"{name}: cannot be read (permission denied); make it readable (chmod a+r) or remove it.");
        }
        catch (FileNotFoundException)
        {
            throw new SemisupException($"{name}: not found (a link to a missing file, or removed while reading); fix or remove it.");
        }
        catch (IOException e) when (e is not EndOfStreamException)
        {
            throw new SemisupException($"{name}: cannot be read ({Reason(e)}); fix or remove it.");
        }
        catch (EndOfStreamException)
        {
            throw new SemisupException($"{name}: became shorter while being read; run again once it is written whole.");
        }
    }

    /// <summary>.NET's message without the path it repeats.</summary>
    static string Reason(IOException e) => e.Message.Split(" : '")[0].Split(" in '")[0].TrimEnd('.');

    /// <summary>Decodes <paramref name="encoded"/> into <paramref name="chw"/> (<see cref="ImageShape.Bytes"/> long).</summary>
    /// <param name="name">Starts every error message: the file's path, or what the caller calls it.</param>
    /// <param name="fix">Ends every error message: what the user should do.</param>
    public static ImageSourceInfo Decode(byte[] encoded, ImageShape shape, Span<byte> chw, string name, string fix)
    {
        if (chw.Length != shape.Bytes) throw new ArgumentException($"{shape} needs {shape.Bytes} bytes, not {chw.Length}", nameof(chw));
        using var codec = Open(encoded, name, fix);
        var info = codec.Info;
        var kind = info.ColorType == SKColorType.Gray8 ? ImageKind.Gray : info.AlphaType == SKAlphaType.Opaque ? ImageKind.Rgb : ImageKind.Rgba;

        var scaled = DecodedSize(codec, shape.Size);
        var decodedInfo = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap(decodedInfo);
        // A truncated file decodes in part and leaves the rest blank: training on that would teach blanks.
        var result = codec.GetPixels(decodedInfo, decoded.GetPixels());
        if (result != SKCodecResult.Success) throw Incomplete(name, result, fix);

        using var target = new SKBitmap(new SKImageInfo(shape.Size, shape.Size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var image = SKImage.FromPixels(decoded.PeekPixels()))
        using (var canvas = new SKCanvas(target))
        {
            canvas.Clear(Background);
            canvas.SetMatrix(Placement(codec.EncodedOrigin, scaled.Width, scaled.Height, shape.Size));
            canvas.DrawImage(image, 0, 0, Sampling, null);
        }
        ToPlanes(target.GetPixelSpan(), shape.Channels, chw);
        return new(info.Width, info.Height, kind);
    }

    /// <summary>A codec for an encoded image, refusing from its header alone what is no image, is damaged, or has more
    /// than <see cref="MaxPixels"/> pixels; the caller disposes it. Errors start with <paramref name="name"/> and end
    /// with <paramref name="fix"/> (a too large image: <paramref name="tooLargeFix"/>).</summary>
    public static SKCodec Open(byte[] encoded, string name, string fix, string tooLargeFix = "scale it down or remove it")
    {
        using var data = SKData.CreateCopy(encoded);
        // The codec owns the stream, which holds its own reference to the data.
        var codec = SKCodec.Create(new SKMemoryStream(data), out var opened);
        if (codec is null)
            throw new SemisupException(opened == SKCodecResult.IncompleteInput && LooksLikeImage(encoded)
                ? $"{name}: its header is truncated or corrupt; {fix}."
                : $"{name}: not an image ({Formats} expected); {fix}.");
        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > MaxPixels)
        {
            codec.Dispose();
            throw new SemisupException($"{name}: {info.Width:N0}×{info.Height:N0} pixels is too large (at most {MaxPixels:N0}); {tooLargeFix}.");
        }
        return codec;
    }

    /// <summary>The error for an image the codec decoded only in part: blank rows taken for pixels would be wrong answers.</summary>
    public static SemisupException Incomplete(string name, SKCodecResult result, string fix) =>
        new($"{name}: could not be decoded whole ({result}); it may be truncated or corrupt; {fix}.");

    /// <summary>A file's stored size and colour kind from its header alone (the orientation applied), or null when it
    /// does not open: loading reports why.</summary>
    public static ImageSourceInfo? Header(string path)
    {
        try
        {
            using var codec = SKCodec.Create(path);
            if (codec is null) return null;
            var info = codec.Info;
            bool turned = codec.EncodedOrigin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
            var kind = info.ColorType == SKColorType.Gray8 ? ImageKind.Gray : info.AlphaType == SKAlphaType.Opaque ? ImageKind.Rgb : ImageKind.Rgba;
            return turned ? new(info.Height, info.Width, kind) : new(info.Width, info.Height, kind);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The shape a folder's images load at when a run leaves it open: 1 channel if every one of
    /// <paramref name="paths"/> is gray (3 otherwise), and their side when all are square and alike within
    /// <see cref="ImageShape"/>'s limits (<paramref name="fallbackSize"/> otherwise). Reads headers only.</summary>
    public static ImageShape NaturalShape(IEnumerable<string> paths, int fallbackSize = 32)
    {
        bool gray = true;
        int? side = null;
        bool alike = true;
        foreach (var path in paths)
        {
            if (Header(path) is not { } h) continue;
            gray &= h.Kind == ImageKind.Gray;
            if (h.Width != h.Height || side is { } s && s != h.Width) alike = false;
            side ??= h.Width;
        }
        int size = alike && side is { } w and >= ImageShape.MinSize and <= ImageShape.MaxSize ? w : fallbackSize;
        return new(gray ? 1 : 3, size);
    }

    /// <summary>The signatures of the formats Skia reads: a file that starts like one but does not open is damaged,
    /// not a text file with the wrong extension.</summary>
    static bool LooksLikeImage(byte[] b) => b is
        [0x89, 0x50, 0x4E, 0x47, ..] // PNG
        or [0xFF, 0xD8, ..] // JPEG
        or [0x42, 0x4D, ..] // BMP
        or [0x47, 0x49, 0x46, 0x38, ..] // GIF8
        or [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..]; // RIFF....WEBP

    /// <summary>The smallest size the codec can decode to directly (JPEG in eighths, WebP freely) whose shorter side
    /// still covers <paramref name="size"/>; other codecs, and images smaller than that, decode whole.</summary>
    public static SKSizeI DecodedSize(SKCodec codec, int size)
    {
        var full = codec.Info.Size;
        for (int eighths = 1; eighths < 8; eighths++)
        {
            var d = codec.GetScaledDimensions(eighths / 8f);
            if (Math.Min(d.Width, d.Height) >= size && d.Width <= full.Width && d.Height <= full.Height) return d;
        }
        return full;
    }

    /// <summary>Maps the stored pixels (<paramref name="width"/>×<paramref name="height"/>) to the output: first the EXIF
    /// orientation (stored → as seen), then the centred square of the shorter side scaled to <paramref name="size"/>.</summary>
    public static SKMatrix Placement(SKEncodedOrigin origin, int width, int height, int size)
    {
        float w = width, h = height;
        // x' = scaleX·x + skewX·y + transX, y' = skewY·x + scaleY·y + transY, per EXIF's eight orientations.
        var orient = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),     // mirrored left–right
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1), // turned 180°
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),   // mirrored top–bottom
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),       // transposed
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),     // turned 90° clockwise to view
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1), // transversed
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),   // turned 90° anticlockwise to view
            _ => SKMatrix.Identity,
        };
        bool turned = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (seenW, seenH) = turned ? (h, w) : (w, h);
        float side = Math.Min(seenW, seenH), k = size / side;
        var crop = SKMatrix.CreateScaleTranslation(k, k, -k * (seenW - side) / 2, -k * (seenH - side) / 2);
        return SKMatrix.Concat(crop, orient);
    }

    /// <summary>Interleaved opaque RGBA → C planes (R, G, B; or PIL's integer luma).</summary>
    static void ToPlanes(ReadOnlySpan<byte> rgba, int channels, Span<byte> chw)
    {
        int n = rgba.Length / 4;
        if (channels == 3)
            for (int i = 0; i < n; i++)
            {
                chw[i] = rgba[4 * i];
                chw[n + i] = rgba[4 * i + 1];
                chw[2 * n + i] = rgba[4 * i + 2];
            }
        else
            for (int i = 0; i < n; i++)
                chw[i] = (byte)((rgba[4 * i] * 19595 + rgba[4 * i + 1] * 38470 + rgba[4 * i + 2] * 7471 + 0x8000) >> 16);
    }
}
