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

    public static string? FontFile => Candidates.FirstOrDefault(File.Exists);

    public static SKTypeface Typeface() =>
        FontFile is { } f ? SKTypeface.FromFile(f) : SKTypeface.Default;
}
