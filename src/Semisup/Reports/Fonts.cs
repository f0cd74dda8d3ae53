using SkiaSharp;

namespace Semisup.Reports;

/// <summary>The typeface for text in images. SkiaSharp's Linux assets without dependencies have no fontconfig,
/// so the default typeface may have no glyphs and text silently vanishes; a font file is loaded directly.</summary>
public static class Fonts
{
    static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    public const string Ellipsis = "…";

    public static string? FontFile => Candidates.FirstOrDefault(File.Exists);

    public static SKTypeface Typeface() =>
        FontFile is { } f ? SKTypeface.FromFile(f) : SKTypeface.Default;

    /// <summary><paramref name="text"/> as drawn in at most <paramref name="width"/> pixels: whole, or cut short with an ellipsis.</summary>
    public static string Fit(string text, SKFont font, float width)
    {
        if (font.MeasureText(text) <= width) return text;
        var cut = text;
        while (cut.Length > 0 && font.MeasureText(cut + Ellipsis) > width) cut = cut[..^1];
        return cut.TrimEnd() + Ellipsis;
    }

    /// <summary><paramref name="text"/> in lines of at most <paramref name="width"/> pixels, broken at spaces; past
    /// <paramref name="maxLines"/>, or a word too long for a line, is cut short with an ellipsis.</summary>
    public static IReadOnlyList<string> Wrap(string text, SKFont font, float width, int maxLines)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var longer = line.Length == 0 ? word : line + " " + word;
            if (line.Length == 0 || font.MeasureText(longer) <= width) line = longer;
            else { lines.Add(line); line = word; }
        }
        lines.Add(line);
        if (lines.Count > maxLines) lines = [.. lines[..(maxLines - 1)], string.Join(" ", lines[(maxLines - 1)..])];
        return [.. lines.Select(l => Fit(l, font, width))];
    }
}
