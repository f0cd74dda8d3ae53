using Semisup.Reports;
using SkiaSharp;

namespace Semisup.Tests.Reports;

public class ImageGridTests
{
    [Fact]
    public void Writes_a_png_with_visible_digits_and_captions()
    {
        using var dir = new TempDir();
        var pixels = new byte[2 * 28 * 28];
        for (int i = 0; i < 28 * 28; i++) pixels[i] = 255; // first digit all ink, second blank
        ImageGrid.Save(dir["g.png"], pixels, 1, 28, 28, ["8", "8"], columns: 2, scale: 3, negative: true);
        using var bitmap = SKBitmap.Decode(dir["g.png"]);
        Assert.Equal((2 * (84 + 8), 84 + 18 + 4), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.Black, bitmap.GetPixel(4 + 40, 4 + 40));
        Assert.Equal(SKColors.White, bitmap.GetPixel(92 + 4 + 40, 4 + 40));
        // The caption band below the blank digit holds dark pixels only if a font was found and drawn.
        int ink = 0;
        for (int x = 92; x < 184; x++)
            for (int y = 88; y < bitmap.Height; y++)
                if (bitmap.GetPixel(x, y).Red < 128) ink++;
        Assert.True(ink > 10, "caption text did not render: install fonts-dejavu-core");
    }

    [Fact]
    public void Colour_images_keep_their_colours_and_gray_photos_are_not_inverted()
    {
        using var dir = new TempDir();
        // Image 0: the left half red, the right half blue (C×H×W planes); image 1: the same as gray 200.
        const int side = 8, plane = side * side;
        var colour = new byte[3 * plane];
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                (colour[y * side + x], colour[plane + y * side + x], colour[2 * plane + y * side + x]) = x < side / 2 ? ((byte)220, (byte)30, (byte)10) : ((byte)0, (byte)40, (byte)250);
        ImageGrid.Save(dir["c.png"], [.. colour, .. colour], 3, side, side, ["a", "b"], columns: 2, scale: 4);
        using var c = SKBitmap.Decode(dir["c.png"]);
        Assert.Equal(new SKColor(220, 30, 10), c.GetPixel(4 + 2, 4 + 2));
        Assert.Equal(new SKColor(0, 40, 250), c.GetPixel(4 + 30, 4 + 30));
        Assert.Equal(new SKColor(0, 40, 250), c.GetPixel(40 + 4 + 30, 4 + 30));

        ImageGrid.Save(dir["g.png"], Enumerable.Repeat((byte)200, plane).ToArray(), 1, side, side, ["x"], columns: 1, scale: 2);
        using var g = SKBitmap.Decode(dir["g.png"]);
        Assert.Equal(new SKColor(200, 200, 200), g.GetPixel(4 + 5, 4 + 5));
    }

    [Fact]
    public void A_caption_wider_than_its_cell_wraps_to_two_lines_and_then_ends_in_an_ellipsis()
    {
        using var typeface = Fonts.Typeface();
        using var font = new SKFont(typeface, 13);
        float width = 96;
        Assert.Equal(["7 (2)"], Fonts.Wrap("7 (2)", font, width, 2));
        Assert.Equal(["Pullover", "(T-shirt)"], Fonts.Wrap("Pullover (T-shirt)", font, width, 2));
        var lines = Fonts.Wrap("a rather long class name (another long class name)", font, width, 2);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.True(font.MeasureText(l) <= width, $"'{l}' is wider than {width}"));
        Assert.EndsWith(Fonts.Ellipsis, lines[1]);
        Assert.StartsWith("a rather", lines[0]);
        var word = Fonts.Wrap(new string('m', 40), font, width, 2);
        Assert.EndsWith(Fonts.Ellipsis, Assert.Single(word));

        // Where a caption may break: on one line when it fits, else a line per part, each cut to fit.
        Assert.Equal(["7 (2)"], ImageGrid.CaptionLines("7\n(2)", font, width));
        Assert.Equal(["Pullover", "(T-shirt)"], ImageGrid.CaptionLines("Pullover\n(T-shirt)", font, width));
        var parts = ImageGrid.CaptionLines("a rather long class name\n(another long class name)", font, width);
        Assert.Equal(2, parts.Count);
        Assert.StartsWith("(another", parts[1]);
        Assert.All(parts, l => Assert.EndsWith(Fonts.Ellipsis, l));

        // Two-line captions make the caption band one line taller.
        using var dir = new TempDir();
        ImageGrid.Save(dir["one.png"], new byte[2 * 32 * 32], 1, 32, 32, ["7 (2)", "1 (7)"], columns: 2);
        ImageGrid.Save(dir["two.png"], new byte[2 * 32 * 32], 1, 32, 32, ["7 (2)", "Pullover (T-shirt)"], columns: 2);
        using var one = SKBitmap.Decode(dir["one.png"]);
        using var two = SKBitmap.Decode(dir["two.png"]);
        Assert.Equal(one.Height + 16, two.Height);
    }
}
