using Semisup.Data;
using SkiaSharp;

namespace Semisup.Tests.Data;

public class ImageDecoderTests
{
    static readonly ImageShape Rgb16 = new(3, 16);

    static SKColor Pixel(byte[] chw, ImageShape shape, int x, int y)
    {
        int n = shape.Size * shape.Size, i = y * shape.Size + x;
        return shape.Channels == 3 ? new SKColor(chw[i], chw[n + i], chw[2 * n + i]) : new SKColor(chw[i], chw[i], chw[i]);
    }

    [Fact]
    public void The_centre_square_of_the_shorter_side_is_kept_whatever_the_aspect()
    {
        // Three 20-pixel squares side by side, then stacked: the middle one fills the output, exactly (a 2:1 reduction
        // of a block aligned to it averages equal pixels).
        SKColor[] bands = [SKColors.Red, new SKColor(0, 255, 0), SKColors.Blue];
        var wide = ImageDecoder.DecodeBytes(ImageFiles.Encode(60, 20, (x, _) => bands[x / 20]), new(3, 10));
        var tall = ImageDecoder.DecodeBytes(ImageFiles.Encode(20, 60, (_, y) => bands[y / 20]), new(3, 10));
        foreach (var chw in new[] { wide, tall })
            for (int y = 0; y < 10; y++)
                for (int x = 0; x < 10; x++)
                    Assert.Equal(new SKColor(0, 255, 0), Pixel(chw, new(3, 10), x, y));
    }

    [Fact]
    public void Downscaling_averages_blocks_as_a_box_filter_does()
    {
        // A reference: a 64×64 image reduced 4× is each 4×4 block's mean. Aliasing (point sampling) would miss it by
        // up to the noise's range; rounding in Skia's mip levels stays within 2.
        var random = new Random(5);
        var values = new byte[64 * 64];
        random.NextBytes(values);
        var chw = ImageDecoder.DecodeBytes(ImageFiles.Encode(64, 64, (x, y) => new SKColor(values[y * 64 + x], 0, 0)), new(3, 16));
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
            {
                double mean = 0;
                for (int dy = 0; dy < 4; dy++)
                    for (int dx = 0; dx < 4; dx++) mean += values[(4 * y + dy) * 64 + 4 * x + dx] / 16.0;
                Assert.InRange(chw[y * 16 + x], mean - 2, mean + 2);
            }
    }

    [Fact]
    public void An_image_of_the_output_size_comes_through_unchanged()
    {
        var random = new Random(6);
        var values = new byte[28 * 28 * 3];
        random.NextBytes(values);
        var shape = new ImageShape(3, 28);
        var chw = ImageDecoder.DecodeBytes(ImageFiles.Encode(28, 28, (x, y) => new SKColor(values[3 * (y * 28 + x)], values[3 * (y * 28 + x) + 1], values[3 * (y * 28 + x) + 2])), shape);
        for (int i = 0; i < 28 * 28; i++)
            for (int c = 0; c < 3; c++) Assert.Equal(values[3 * i + c], chw[c * 784 + i]);
    }

    [Theory]
    [InlineData(200, 100, 50)]
    [InlineData(0, 0, 255)]
    [InlineData(255, 255, 255)]
    [InlineData(13, 201, 77)]
    public void Gray_is_PILs_integer_luma(byte r, byte g, byte b)
    {
        var chw = ImageDecoder.DecodeBytes(ImageFiles.Encode(12, 12, (_, _) => new SKColor(r, g, b)), new(1, 8));
        int expected = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; // PIL's ImagingConvert RGB→L
        Assert.All(chw, v => Assert.Equal(expected, v));
    }

    [Fact]
    public void Transparent_pixels_are_composited_onto_white()
    {
        // Opaque, half transparent, fully transparent: out = a·c + (1 − a)·255 per channel, as hand-computed.
        byte[] alphas = [255, 128, 0];
        for (int band = 0; band < 3; band++)
        {
            int a = alphas[band];
            var one = ImageDecoder.DecodeBytes(ImageFiles.Encode(10, 10, (_, _) => new SKColor(200, 100, 50, (byte)a)), new(3, 10));
            byte[] expected = [200, 100, 50];
            for (int c = 0; c < 3; c++)
            {
                double want = expected[c] * a / 255.0 + 255 * (1 - a / 255.0);
                Assert.All(one.AsSpan(c * 100, 100).ToArray(), v => Assert.InRange(v, want - 1, want + 1));
            }
        }
        // 200·128/255 + 255·127/255 = 227.4: the half-transparent middle band of a wider image, through the crop.
        var shape = new ImageShape(3, 30);
        var chw = ImageDecoder.DecodeBytes(ImageFiles.Encode(90, 30, (x, _) => new SKColor(200, 100, 50, alphas[x / 30])), shape);
        Assert.InRange(Pixel(chw, shape, 15, 15).Red, 226, 228);
    }

    static readonly SKColor[] Quadrants = [SKColors.Red, new SKColor(0, 255, 0), SKColors.Blue, SKColors.White];

    static int Nearest(SKColor c) => Enumerable.Range(0, 4).MinBy(q =>
        Math.Abs(c.Red - Quadrants[q].Red) + Math.Abs(c.Green - Quadrants[q].Green) + Math.Abs(c.Blue - Quadrants[q].Blue));

    /// <summary>Stored quadrants 0 1 / 2 3 (red, green, blue, white) and how each EXIF orientation shows them
    /// (top-left, top-right, bottom-left, bottom-right), from the EXIF 2.32 table of the 0th row and column.</summary>
    [Theory]
    [InlineData(1, new[] { 0, 1, 2, 3 })]
    [InlineData(2, new[] { 1, 0, 3, 2 })] // mirrored left–right
    [InlineData(3, new[] { 3, 2, 1, 0 })] // turned 180°
    [InlineData(4, new[] { 2, 3, 0, 1 })] // mirrored top–bottom
    [InlineData(5, new[] { 0, 2, 1, 3 })] // transposed
    [InlineData(6, new[] { 2, 0, 3, 1 })] // shown turned 90° clockwise (a phone held upright, home button right)
    [InlineData(7, new[] { 3, 1, 2, 0 })] // transversed
    [InlineData(8, new[] { 1, 3, 0, 2 })] // shown turned 90° anticlockwise
    public void A_JPEGs_EXIF_orientation_is_applied(int orientation, int[] seen)
    {
        var jpeg = ImageFiles.Encode(32, 32, (x, y) => Quadrants[(y / 16) * 2 + x / 16], SKEncodedImageFormat.Jpeg);
        var chw = ImageDecoder.DecodeBytes(ImageFiles.WithExifOrientation(jpeg, orientation), Rgb16);
        int[] got = [Nearest(Pixel(chw, Rgb16, 4, 4)), Nearest(Pixel(chw, Rgb16, 12, 4)), Nearest(Pixel(chw, Rgb16, 4, 12)), Nearest(Pixel(chw, Rgb16, 12, 12))];
        Assert.Equal(seen, got);
    }

    [Theory]
    [InlineData(1, 1, 2, false)] // as stored, 64×32: the middle bands B | C side by side
    [InlineData(3, 2, 1, false)]
    [InlineData(6, 1, 2, true)]  // turned to 32×64: the bands lie across, B above C
    [InlineData(8, 2, 1, true)]
    public void Orientation_and_the_centre_crop_compose_on_a_wide_photo(int orientation, int first, int second, bool stacked)
    {
        // Four 16-pixel vertical bands A B C D; the crop keeps the middle two, which must both be there (no background).
        var jpeg = ImageFiles.Encode(64, 32, (x, _) => Quadrants[x / 16], SKEncodedImageFormat.Jpeg);
        var chw = ImageDecoder.DecodeBytes(ImageFiles.WithExifOrientation(jpeg, orientation), Rgb16);
        var (a, b) = stacked ? (Pixel(chw, Rgb16, 8, 3), Pixel(chw, Rgb16, 8, 12)) : (Pixel(chw, Rgb16, 3, 8), Pixel(chw, Rgb16, 12, 8));
        Assert.Equal((first, second), (Nearest(a), Nearest(b)));
    }

    [Fact]
    public void JPEG_is_decoded_downscaled_and_PNG_whole()
    {
        var jpeg = ImageFiles.Encode(640, 480, (x, y) => new SKColor((byte)x, (byte)y, 0), SKEncodedImageFormat.Jpeg, 90);
        using (var codec = SKCodec.Create(SKData.CreateCopy(jpeg)))
        {
            Assert.Equal(new SKSizeI(80, 60), ImageDecoder.DecodedSize(codec, 32)); // 1/8, still ≥ 32 on the shorter side
            Assert.Equal(new SKSizeI(160, 120), ImageDecoder.DecodedSize(codec, 96)); // 2/8: 1/8 would give 60 < 96
            Assert.Equal(new SKSizeI(640, 480), ImageDecoder.DecodedSize(codec, 480));
        }
        using (var codec = SKCodec.Create(SKData.CreateCopy(ImageFiles.Encode(640, 480, (_, _) => SKColors.Gray))))
            Assert.Equal(new SKSizeI(640, 480), ImageDecoder.DecodedSize(codec, 32));
        // And the downscaled decode gives what a whole decode would, near enough: the gradient's centre.
        var chw = ImageDecoder.DecodeBytes(jpeg, new(3, 32));
        Assert.InRange(Pixel(chw, new(3, 32), 16, 16).Red, (320 % 256) - 10, (320 % 256) + 10);
    }

    [Fact]
    public void Bad_images_are_refused_by_name()
    {
        var shape = new ImageShape(3, 16);
        Assert.Equal("up.png: not an image (PNG, JPEG, BMP, GIF or WebP expected); send a whole PNG, JPEG, BMP, GIF or WebP image.",
            Assert.Throws<SemisupException>(() => ImageDecoder.DecodeBytes("hello, world"u8.ToArray(), shape, "up.png")).Message);
        var jpeg = ImageFiles.Encode(64, 64, (x, y) => new SKColor((byte)(4 * x), (byte)(4 * y), 0), SKEncodedImageFormat.Jpeg);
        Assert.Contains("x.jpg: could not be decoded whole (IncompleteInput); it may be truncated or corrupt",
            Assert.Throws<SemisupException>(() => ImageDecoder.DecodeBytes(jpeg[..(jpeg.Length / 2)], shape, "x.jpg")).Message);
        Assert.Equal("big.png: 100,000×100,000 pixels is too large (at most 16,777,216); scale it down or remove it.",
            Assert.Throws<SemisupException>(() => ImageDecoder.DecodeBytes(ImageFiles.PngHeader(100_000, 100_000), shape, "big.png")).Message);
        Assert.Contains("channels 2: give 1 (gray) or 3 (RGB)", Assert.Throws<SemisupException>(() => new ImageShape(2, 32).Validate()).Message);
    }
}
