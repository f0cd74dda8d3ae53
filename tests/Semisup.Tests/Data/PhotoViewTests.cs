using System.Globalization;
using System.Text.Json;
using Semisup.Data;
using Semisup.Tests.Export;
using static TorchSharp.torch;

namespace Semisup.Tests.Data;

/// <summary>The photo views as recipes choose them (<see cref="Augment"/>'s crop, flip, randAugment, cutoutFill), and
/// the digit views left as they were.</summary>
public class PhotoViewTests
{
    /// <summary>Same shape and the same values, bit for bit.</summary>
    static bool Identical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    [Fact]
    public void The_weak_photo_view_is_a_reflect_padded_crop_or_its_mirror_padded_by_an_eighth_of_the_side()
    {
        manual_seed(21);
        using var x = rand(1, 3, 32, 32).expand(24, 3, 32, 32).contiguous();
        using var y = new Augment(0, 0, Flip: true, Crop: 0.125).Apply(x);
        using var padded = nn.functional.pad(x[..1], [4, 4, 4, 4], TorchSharp.PaddingModes.Reflect);
        int mirrored = 0;
        for (int i = 0; i < 24; i++)
        {
            var match = (from top in Enumerable.Range(0, 9) from left in Enumerable.Range(0, 9) from flip in new[] { false, true }
                         let window = padded[0, .., top..(top + 32), left..(left + 32)]
                         where Identical(y[i], flip ? window.flip(2) : window)
                         select flip).ToList();
            Assert.True(match.Count >= 1, $"image {i} is no window of the padded image nor its mirror");
            if (match[0]) mirrored++;
        }
        Assert.InRange(mirrored, 3, 21);
    }

    [Theory]
    [InlineData(28, 4)] // 3.5 rounds up
    [InlineData(32, 4)]
    [InlineData(96, 12)]
    public void The_crops_padding_scales_with_the_image(int side, int pad)
    {
        manual_seed(22);
        // Each pixel holds its own row and column, so a centre pixel tells the offset of its crop.
        using var coordinates = (arange(side).view(side, 1) * 1000 + arange(side).view(1, side)).to_type(ScalarType.Float32);
        using var x = coordinates.expand(400, 1, side, side).contiguous();
        using var y = new Augment(0, 0, Crop: 0.125).Apply(x);
        var centre = y[.., 0, side / 2, side / 2].to_type(ScalarType.Int32).data<int>().ToArray();
        var dy = centre.Select(v => v / 1000 - side / 2).ToArray();
        var dx = centre.Select(v => v % 1000 - side / 2).ToArray();
        Assert.Equal((-pad, pad), (dy.Min(), dy.Max()));
        Assert.Equal((-pad, pad), (dx.Min(), dx.Max()));
    }

    [Fact]
    public void The_strong_photo_view_is_reproducible_from_the_seed_and_its_cutout_is_grey()
    {
        var strong = new Augment(0, 0, Cutout: 16, Flip: true, Crop: 0.125, RandAugment: 2, CutoutFill: 0.5);
        Tensor Run(int seed)
        {
            manual_seed(seed);
            using var x = rand(32, 3, 32, 32);
            return strong.Apply(x);
        }
        using var a = Run(5);
        using var b = Run(5);
        using var c = Run(6);
        Assert.True(Identical(a, b));
        Assert.False(Identical(a, c));
        // Cutout comes last: every image has a grey square of at least 8×8 (a 16-pixel square clipped at a corner).
        using var grey = (a - 0.5).abs().lt(1e-7).all(1).sum([1, 2]);
        Assert.True(grey.min().item<long>() >= 64, $"an image has only {grey.min().item<long>()} grey pixels");
    }

    [Fact]
    public void Cutout_fills_with_its_value_in_digit_views_too()
    {
        manual_seed(23);
        using var x = ones(16, 1, 28, 28);
        using var y = new Augment(0, 0, Cutout: 6, CutoutFill: 0.25).Apply(x);
        using var filled = (y - 0.25).abs().lt(1e-5);
        using var kept = (y - 1).abs().lt(1e-5);
        Assert.True((filled | kept).all().item<bool>());
        Assert.True(filled.sum([1, 2, 3]).min().item<long>() >= 9);
    }

    /// <summary>fixmatch-fast's strong view with flipping, its weak view, and elastic distortion with bicubic sampling,
    /// each at seed 7 on the same images: a weighted sum of the output and the next random number, as the code drew
    /// them before the photo keys existed.</summary>
    [Theory]
    [InlineData(0, "65806.41522607207 0.64154243")]
    [InlineData(1, "70779.83089180646 0.7173267")]
    [InlineData(2, "72483.62586606201 0.90799487")]
    public void Digit_views_draw_and_give_what_they_did_before_the_photo_views(int which, string expected)
    {
        var a = new[] {
            new Augment(RotationDegrees: 15, Shift: 2, Scale: 0.1, Shear: 0.15, Cutout: 6, Contrast: 0.2, Flip: true),
            new Augment(RotationDegrees: 10, Shift: 2),
            new Augment(0, 0, ElasticAlpha: 8, Interpolation: "bicubic", Cutout: 5) }[which];
        manual_seed(7);
        using var x = rand(4, 1, 28, 28);
        using var y = a.Apply(x);
        using var after = rand(1);
        using var w = arange(y.numel(), dtype: ScalarType.Float64).view(y.shape) % 97;
        // The same draws exactly; the same output up to float rounding, whose order moves with the thread count that
        // other tests running beside this one set (2.4e-9 apart once).
        var parts = expected.Split(' ');
        Assert.Equal(parts[1], $"{after.item<float>():R}");
        double sum = (y.to_type(ScalarType.Float64) * w).sum().item<double>(), want = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(sum - want) <= 1e-7 * want, $"{sum:R} against {want:R}");
    }

    [Theory]
    [InlineData(-0.1, 0, 0, "crop: -0.1 must be in [0, 0.5)")]
    [InlineData(0.5, 0, 0, "crop: 0.5 must be in [0, 0.5)")]
    [InlineData(0, 15, 0, "randAugment: 15 must be between 0 (off) and 14")]
    [InlineData(0, -1, 0, "randAugment: -1 must be between 0 (off) and 14")]
    [InlineData(0, 0, 1.5, "cutoutFill: 1.5 must be in [0, 1]")]
    public void Bad_photo_keys_are_refused_with_their_values(double crop, int randAugment, double fill, string expected)
    {
        var problems = new Augment(Crop: crop, RandAugment: randAugment, CutoutFill: fill).Problems().ToList();
        Assert.Single(problems);
        Assert.StartsWith(expected, problems[0]);
        Assert.False(new Augment(0, 0, Crop: 0.125).IsIdentity);
        Assert.False(new Augment(0, 0, RandAugment: 1).IsIdentity);
    }

    /// <summary>Each operation against PIL's own, on bytes, where Debian's python3-pil is installed: nearest-sampled
    /// geometry may differ on a few pixels whose centres land on a boundary (PIL uses fixed point there), and PIL
    /// rounds its blends and Contrast's mean to bytes.</summary>
    [SkippableTheory]
    [InlineData("AutoContrast", 0, 1, 0.0)]
    [InlineData("Brightness", 0.3, 1, 0.0)]
    [InlineData("Color", 0.3, 1, 0.0)]
    [InlineData("Contrast", 0.3, 2, 0.0)]
    [InlineData("Equalize", 0, 0, 0.0)]
    [InlineData("Posterize", 5, 0, 0.0)]
    [InlineData("Rotate", 23, 0, 0.03)]
    [InlineData("Sharpness", 0.3, 1, 0.0)]
    [InlineData("ShearX", 0.27, 0, 0.03)]
    [InlineData("ShearY", -0.18, 0, 0.03)]
    [InlineData("Solarize", 0.4, 0, 0.0)]
    [InlineData("TranslateX", 0.21, 0, 0.0)]
    [InlineData("TranslateY", -0.13, 0, 0.0)]
    public void Each_operation_matches_PIL(string name, double magnitude, int levels, double fractionOff)
    {
        Skip.IfNot(ExportModels.PythonImports("PIL"), $"PIL is not installed for {ExportModels.Python} (Debian's python3-pil)");
        foreach (int channels in new[] { 1, 3 })
        {
            manual_seed(31);
            const int h = 12, w = 16;
            using var bytes = (rand(1, channels, h, w) * 255).round();
            using var x = bytes / 255;
            var op = PhotoOps.Operations.Single(o => o.Name == name);
            using var ours = (op.Apply(x, tensor(new[] { (float)magnitude })) * 255).round().to_type(ScalarType.Int32);
            var pixels = bytes.permute(0, 2, 3, 1).to_type(ScalarType.Int32).data<int>().ToArray(); // H, W, C as PIL holds them
            string script = """
                import sys, json
                from PIL import Image, ImageOps, ImageEnhance
                name, v, mode, w, h = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
                im = Image.frombytes(mode, (w, h), bytes(json.loads(sys.stdin.read())))
                ops = {
                    "AutoContrast": lambda: ImageOps.autocontrast(im),
                    "Brightness": lambda: ImageEnhance.Brightness(im).enhance(v),
                    "Color": lambda: ImageEnhance.Color(im).enhance(v),
                    "Contrast": lambda: ImageEnhance.Contrast(im).enhance(v),
                    "Equalize": lambda: ImageOps.equalize(im),
                    "Posterize": lambda: ImageOps.posterize(im, int(v)),
                    "Rotate": lambda: im.rotate(v),
                    "Sharpness": lambda: ImageEnhance.Sharpness(im).enhance(v),
                    "ShearX": lambda: im.transform(im.size, Image.AFFINE, (1, v, 0, 0, 1, 0)),
                    "ShearY": lambda: im.transform(im.size, Image.AFFINE, (1, 0, 0, v, 1, 0)),
                    "Solarize": lambda: ImageOps.solarize(im, v * 255),
                    "TranslateX": lambda: im.transform(im.size, Image.AFFINE, (1, 0, v * w, 0, 1, 0)),
                    "TranslateY": lambda: im.transform(im.size, Image.AFFINE, (1, 0, 0, 0, 1, v * h)),
                }
                print(json.dumps(list(ops[name]().tobytes())))
                """;
            var (code, output) = RunPythonWithInput(JsonSerializer.Serialize(pixels), "-c", script, name,
                magnitude.ToString(CultureInfo.InvariantCulture), channels == 1 ? "L" : "RGB", w.ToString(), h.ToString());
            Assert.True(code == 0, output);
            var pil = JsonSerializer.Deserialize<int[]>(output)!;
            var mine = ours.permute(0, 2, 3, 1).contiguous().data<int>().ToArray();
            var differences = mine.Zip(pil, (a, b) => Math.Abs(a - b)).ToArray();
            int off = differences.Count(d => d > levels);
            Assert.True(off <= fractionOff * differences.Length, $"{name} on {channels} channel(s): {off} of {differences.Length} values differ from PIL's by more than {levels}");
        }
    }

    static (int Code, string Output) RunPythonWithInput(string input, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(ExportModels.Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
