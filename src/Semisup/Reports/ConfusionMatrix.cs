using SkiaSharp;

namespace Semisup.Reports;

public static class ConfusionMatrix
{
    /// <summary>The most pixels a class name takes beside a row or above a column; a longer one is cut with an ellipsis.</summary>
    public const int MaxLabelWidth = 160;

    /// <summary>Rows are true classes, columns predictions; off-diagonal cells shaded by count. Names that do not fit
    /// above their column are written upwards.</summary>
    public static void Save(string path, int[,] m, IReadOnlyList<string> names, string title)
    {
        int k = m.GetLength(0);
        // Many classes get smaller cells, so a hundred still make a picture one can open.
        int cell = k <= 20 ? 56 : 32;
        using var typeface = Fonts.Typeface();
        using var font = new SKFont(typeface, 14);
        using var small = new SKFont(typeface, 12);
        var labels = names.Select(n => Fonts.Fit(n, small, MaxLabelWidth)).ToArray();
        float widest = labels.Length == 0 ? 0 : labels.Max(l => small.MeasureText(l));
        bool upwards = widest > cell - 6;
        int left = Math.Max(90, (int)Math.Ceiling(widest) + 16), top = 70 + (upwards ? (int)Math.Ceiling(widest) : 0);
        // Wide enough for the title too: two classes make a narrow matrix.
        int width = Math.Max(left + k * cell, left + (int)Math.Ceiling(font.MeasureText(title))) + 20;
        using var surface = SKSurface.Create(new SKImageInfo(width, top + k * cell + 50));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var fill = new SKPaint();
        int maxOff = 1;
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) if (i != j) maxOff = Math.Max(maxOff, m[i, j]);
        c.DrawText(title, left, 24, SKTextAlign.Left, font, ink);
        c.DrawText("predicted →", left, 42, SKTextAlign.Left, small, ink);
        c.DrawText("true ↓", 8, top - 8, SKTextAlign.Left, small, ink);
        for (int i = 0; i < k; i++)
        {
            c.DrawText(labels[i], 8, top + i * cell + cell / 2 + 5, SKTextAlign.Left, small, ink);
            if (upwards)
            {
                // Rotated about its start, so the name reads bottom to top and ends above its column.
                c.Save();
                c.Translate(left + i * cell + cell / 2 + 5, top - 8);
                c.RotateDegrees(-90);
                c.DrawText(labels[i], 0, 0, SKTextAlign.Left, small, ink);
                c.Restore();
            }
            else c.DrawText(labels[i], left + i * cell + cell / 2, top - 8, SKTextAlign.Center, small, ink);
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
