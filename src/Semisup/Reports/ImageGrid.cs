using SkiaSharp;

namespace Semisup.Reports;

/// <summary>A PNG of digits in a grid, each enlarged and captioned (e.g. its label, or predicted/true).</summary>
public static class DigitGrid
{
    /// <param name="pixels">N×H×W gray values in [0,1], row-major.</param>
    public static void Save(string path, float[] pixels, int height, int width, IReadOnlyList<string> captions, int columns = 10, int scale = 3, SKColor? captionColor = null)
    {
        int n = captions.Count, rows = (n + columns - 1) / columns;
        if (pixels.Length != n * height * width) throw new ArgumentException("pixels and captions disagree in count");
        const int captionHeight = 18, pad = 4;
        int cellW = width * scale + 2 * pad, cellH = height * scale + captionHeight + pad;

        using var surface = SKSurface.Create(new SKImageInfo(columns * cellW, Math.Max(rows, 1) * cellH));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = Fonts.Typeface();
        using var font = new SKFont(typeface, 13);
        using var text = new SKPaint { Color = captionColor ?? SKColors.Black, IsAntialias = true };

        for (int k = 0; k < n; k++)
        {
            int x0 = (k % columns) * cellW + pad, y0 = (k / columns) * cellH + pad;
            using var bitmap = new SKBitmap(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
            var gray = new byte[width * height];
            for (int i = 0; i < gray.Length; i++)
                gray[i] = (byte)(255 - Math.Clamp(pixels[k * height * width + i], 0f, 1f) * 255); // dark ink on white
            System.Runtime.InteropServices.Marshal.Copy(gray, 0, bitmap.GetPixels(), gray.Length);
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, SKRect.Create(x0, y0, width * scale, height * scale), new SKSamplingOptions(SKFilterMode.Nearest));
            canvas.DrawText(captions[k], x0 + width * scale / 2f, y0 + height * scale + captionHeight - 4, SKTextAlign.Center, font, text);
        }
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        using var file = File.Create(path);
        png.SaveTo(file);
    }
}
