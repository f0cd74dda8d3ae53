using Semisup.Reports;
using SkiaSharp;

namespace Semisup.Tests.Reports;

public class DigitGridTests
{
    [Fact]
    public void Writes_a_png_with_visible_digits_and_captions()
    {
        using var dir = new TempDir();
        var pixels = new float[2 * 28 * 28];
        for (int i = 0; i < 28 * 28; i++) pixels[i] = 1f; // first digit all ink, second blank
        DigitGrid.Save(dir["g.png"], pixels, 28, 28, ["8", "8"], columns: 2, scale: 3);
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
}
