using SkiaSharp;

namespace Semisup.Reports;

/// <summary>A PNG of images in a grid, each enlarged and captioned (e.g. its label, or predicted/true).</summary>
public static class ImageGrid
{
    /// <summary>Caption lines at most: a caption wider than its cell wraps at spaces, then is cut with an ellipsis.</summary>
    public const int MaxCaptionLines = 2;

    /// <summary>A caption's lines in <paramref name="width"/> pixels. Its line breaks mark where it may break: it is drawn
    /// on one line when that fits, else a line per part, each cut to fit; one without breaks wraps at spaces.</summary>
    public static IReadOnlyList<string> CaptionLines(string caption, SKFont font, float width)
    {
        var parts = caption.Split('\n');
        if (parts.Length == 1) return Fonts.Wrap(caption, font, width, MaxCaptionLines);
        var joined = string.Join(" ", parts);
        return font.MeasureText(joined) <= width ? [joined] : [.. parts.Select(p => Fonts.Fit(p, font, width))];
    }

    /// <param name="pixels">N×C×H×W bytes 0–255 as stored, C = 1 (gray) or 3 (RGB planes).</param>
    /// <param name="negative">Draws gray images as their negative: the datasets' digits and clothes are stored light on
    /// black and read best as dark ink on white. A photo's gray is drawn as it is.</param>
    /// <param name="scale">Display pixels per image pixel; below 1 a large image is drawn smaller, smoothly.</param>
    public static void Save(string path, byte[] pixels, int channels, int height, int width, IReadOnlyList<string> captions,
        int columns = 10, float scale = 3, SKColor? captionColor = null, bool negative = false)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"{channels} channels: give 1 or 3", nameof(channels));
        int n = captions.Count, rows = (n + columns - 1) / columns, plane = height * width;
        if (pixels.LongLength != (long)n * channels * plane) throw new ArgumentException("pixels and captions disagree in count");
        const int pad = 4, lineHeight = 16;
        int shownW = Math.Max(1, (int)Math.Round(width * scale)), shownH = Math.Max(1, (int)Math.Round(height * scale));
        int cellW = shownW + 2 * pad;
        using var typeface = Fonts.Typeface();
        using var font = new SKFont(typeface, 13);
        var lines = captions.Select(c => CaptionLines(c, font, cellW - 2)).ToList();
        int captionHeight = 2 + lineHeight * Math.Max(1, lines.Count == 0 ? 1 : lines.Max(l => l.Count));
        int cellH = shownH + captionHeight + pad;

        using var surface = SKSurface.Create(new SKImageInfo(columns * cellW, Math.Max(rows, 1) * cellH));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = captionColor ?? SKColors.Black, IsAntialias = true };
        var sampling = scale >= 1 ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);

        for (int k = 0; k < n; k++)
        {
            int x0 = (k % columns) * cellW + pad, y0 = (k / columns) * cellH + pad;
            using var image = Image(pixels.AsSpan(k * channels * plane, channels * plane), channels, height, width, negative);
            canvas.DrawImage(image, SKRect.Create(x0, y0, shownW, shownH), sampling);
            for (int l = 0; l < lines[k].Count; l++)
                canvas.DrawText(lines[k][l], x0 + shownW / 2f, y0 + shownH + lineHeight * (l + 1) - 2, SKTextAlign.Center, font, text);
        }
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>One image from its C×H×W bytes: gray as Gray8, colour planes interleaved into opaque RGBA.</summary>
    static SKImage Image(ReadOnlySpan<byte> chw, int channels, int height, int width, bool negative)
    {
        int plane = height * width;
        var bytes = new byte[channels == 1 ? plane : 4 * plane];
        if (channels == 1)
            for (int i = 0; i < plane; i++) bytes[i] = negative ? (byte)(255 - chw[i]) : chw[i];
        else
            for (int i = 0; i < plane; i++)
                (bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]) = (chw[i], chw[plane + i], chw[2 * plane + i], 255);
        var info = new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        return SKImage.FromPixelCopy(info, bytes);
    }
}
