using System.Buffers.Binary;
using SkiaSharp;

namespace Semisup.Tests.Data;

/// <summary>Small images made at test time: from a colour per pixel, in any format Skia writes, with EXIF by hand.</summary>
static class ImageFiles
{
    /// <summary>An image of <paramref name="width"/>×<paramref name="height"/> whose pixel (x, y) is <paramref name="colour"/>(x, y) (unpremultiplied).</summary>
    public static byte[] Encode(int width, int height, Func<int, int, SKColor> colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        var pixels = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var c = colour(x, y);
                int i = 4 * (y * width + x);
                (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]) = (c.Red, c.Green, c.Blue, c.Alpha);
            }
        // Opaque pixels make a file without an alpha channel, as a camera's.
        bool opaque = Enumerable.Range(0, width * height).All(i => pixels[4 * i + 3] == 255);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.PeekPixels().Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot write {format}");
        return data.ToArray();
    }

    public static string Write(string path, int width, int height, Func<int, int, SKColor> colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Encode(width, height, colour, format));
        return path;
    }

    /// <summary>A uniform image of one colour.</summary>
    public static string Solid(string path, SKColor colour, int side = 12, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        Write(path, side, side, (_, _) => colour, format);

    /// <summary>The JPEG with an EXIF APP1 segment, written byte by byte, holding only its orientation (1–8), right after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] app1 =
        [
            0xFF, 0xE1, 0, 34, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'M', (byte)'M', 0, 0x2A, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at offset 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0, // no next IFD
        ];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>A PNG signature and IHDR (with its CRC) claiming <paramref name="width"/>×<paramref name="height"/> RGB pixels, then one empty IDAT and IEND.</summary>
    public static byte[] PngHeader(int width, int height)
    {
        var bytes = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
        void Chunk(string type, byte[] body)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, body.Length);
            byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. body];
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
            bytes.AddRange([.. length, .. typed, .. crc]);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8 bits, RGB
        Chunk("IHDR", ihdr);
        Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk("IEND", []);
        return [.. bytes];
    }

    /// <summary>CRC-32 (ISO 3309, as PNG uses), bit by bit.</summary>
    static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
