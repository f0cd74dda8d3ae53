using Semisup.Data;
using SkiaSharp;

namespace Semisup.Tests.Data;

public class DigitImageTests
{
    static string Draw(TempDir dir, int w, int h, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(w, h));
        surface.Canvas.Clear(SKColors.White);
        draw(surface.Canvas);
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        var path = dir[$"img-{w}x{h}.png"];
        using var f = File.Create(path);
        png.SaveTo(f);
        return path;
    }

    [Fact]
    public void A_dark_stroke_on_white_becomes_a_centred_mnist_digit()
    {
        using var dir = new TempDir();
        using var pen = new SKPaint { Color = SKColors.Navy, StrokeWidth = 12 };
        var path = Draw(dir, 300, 150, c => c.DrawLine(40, 20, 60, 130, pen)); // off-centre, colour, any size
        var img = DigitImage.Load(path);
        Assert.Equal(784, img.Length);
        double mass = img.Sum(), cx = 0, cy = 0;
        int rows = 0;
        for (int i = 0; i < 784; i++) { cx += img[i] * (i % 28); cy += img[i] * (i / 28); }
        for (int y = 0; y < 28; y++) if (Enumerable.Range(0, 28).Any(x => img[y * 28 + x] > 0.3f)) rows++;
        Assert.InRange(cx / mass, 12.5, 14.5);
        Assert.InRange(cy / mass, 12.5, 14.5);
        Assert.InRange(rows, 18, 21); // the long side fills the 20-pixel box
        Assert.Equal(0f, img[0]); // background is black, as in MNIST
        Assert.True(img.Max() > 0.9f);
    }

    [Fact]
    public void Unreadable_and_huge_images_are_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["fake.png"], "not an image");
        Assert.Contains("not an image (PNG, JPEG, BMP, GIF or WebP expected)", Assert.Throws<SemisupException>(() => DigitImage.Load(dir["fake.png"])).Message);
        var huge = Draw(dir, 5000, 4000, _ => { });
        Assert.Contains("too large", Assert.Throws<SemisupException>(() => DigitImage.Load(huge)).Message);
        using var pen = new SKPaint { Color = SKColors.Black, StrokeWidth = 12 };
        var whole = File.ReadAllBytes(Draw(dir, 300, 250, c => c.DrawLine(150, 20, 150, 230, pen)));
        File.WriteAllBytes(dir["half.png"], whole[..(whole.Length / 2)]);
        Assert.Contains("could not be decoded", Assert.Throws<SemisupException>(() => DigitImage.Load(dir["half.png"])).Message);
    }
}
