using SkiaSharp;

namespace Semisup.Reports;

public static class ConfusionMatrix
{
    /// <summary>Rows are true classes, columns predictions; off-diagonal cells shaded by count.</summary>
    public static void Save(string path, int[,] m, IReadOnlyList<string> names, string title)
    {
        int k = m.GetLength(0), cell = 56, left = 90, top = 70;
        using var surface = SKSurface.Create(new SKImageInfo(left + k * cell + 20, top + k * cell + 50));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var typeface = Fonts.Typeface();
        using var font = new SKFont(typeface, 14);
        using var small = new SKFont(typeface, 12);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var fill = new SKPaint();
        int maxOff = 1;
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) if (i != j) maxOff = Math.Max(maxOff, m[i, j]);
        c.DrawText(title, left, 24, SKTextAlign.Left, font, ink);
        c.DrawText("predicted →", left, top - 28, SKTextAlign.Left, small, ink);
        c.DrawText("true ↓", 8, top - 8, SKTextAlign.Left, small, ink);
        for (int i = 0; i < k; i++)
        {
            c.DrawText(names[i], 8, top + i * cell + cell / 2 + 5, SKTextAlign.Left, small, ink);
            c.DrawText(names[i], left + i * cell + cell / 2, top - 8, SKTextAlign.Center, small, ink);
            for (int j = 0; j < k; j++)
            {
                fill.Color = i == j ? new SKColor(200, 230, 200)
                    : m[i, j] == 0 ? SKColors.White : new SKColor(255, (byte)(235 - 175 * m[i, j] / maxOff), (byte)(235 - 175 * m[i, j] / maxOff));
                var rect = SKRect.Create(left + j * cell, top + i * cell, cell, cell);
                c.DrawRect(rect, fill);
                c.DrawText(m[i, j].ToString(), rect.MidX, rect.MidY + 5, SKTextAlign.Center, small, ink);
            }
        }
        using var grid = new SKPaint { Color = SKColors.LightGray, Style = SKPaintStyle.Stroke };
        c.DrawRect(SKRect.Create(left, top, k * cell, k * cell), grid);
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }
}
