using Semisup.Cli;
using Semisup.Tests.Data;
using SkiaSharp;

namespace Semisup.Tests.Cli;

[Collection("mnist")]
public class ImageDataCommandTests(MnistFixture mnist)
{
    static string Layout(TempDir dir)
    {
        var root = dir["photos"];
        foreach (var (cls, colour) in new[] { ("cat", SKColors.Orange), ("dog", SKColors.Brown) })
            for (int i = 0; i < 3; i++) ImageFiles.Solid(Path.Combine(root, "labeled", cls, $"{i}.png"), colour, side: 10 + i);
        ImageFiles.Solid(Path.Combine(root, "unlabeled", "u.jpg"), SKColors.Gray, side: 40, format: SKEncodedImageFormat.Jpeg);
        ImageFiles.Solid(Path.Combine(root, "test", "dog", "t.png"), SKColors.Brown.WithAlpha(128));
        return root;
    }

    /// <summary>Runs with the cache under <paramref name="cache"/> (XDG_CACHE_HOME), never the user's.</summary>
    static async Task<(int Code, string Out, string Err)> WithCache(string cache, params string[] args)
    {
        var before = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", cache);
        try { return await CliCapture.Run(args); }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", before); }
    }

    [Fact]
    public async Task Check_reports_classes_counts_sizes_and_colours_and_reads_the_cache_the_second_time()
    {
        using var dir = new TempDir();
        var root = Layout(dir);
        var (code, output, _) = await WithCache(dir["cache"], "data", "check", root, "--size", "8");
        Assert.Equal(0, code);
        Assert.Contains($"{root}: a folder of 8 images, 2 classes, decoded to 3×8×8", output);
        Assert.Contains("  class     labeled        test\n  cat             3           0\n  dog             3           1\n  total           6           1\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("unlabeled: 1 images", output);
        Assert.Contains("from 10×10 to 40×40 pixels", output);
        Assert.Contains("colours: 7 RGB, 1 with transparency (put on white)", output);
        Assert.Contains("8 images decoded, cached in " + Path.Combine(dir["cache"], "semisup", "images"), output);
        Assert.EndsWith("ok\n", output.ReplaceLineEndings("\n"));
        var again = await WithCache(dir["cache"], "data", "check", root, "--size", "8");
        Assert.Contains("read from the cache", again.Out);
        var gray = await WithCache(dir["cache"], "data", "check", root, "--size", "8", "--channels", "1", "--no-cache");
        Assert.Contains("decoded to 1×8×8", gray.Out);
        Assert.Contains("8 images decoded\n", gray.Out.ReplaceLineEndings("\n"));
        Assert.Single(Directory.GetFiles(Path.Combine(dir["cache"], "semisup", "images")));
    }

    [Fact]
    public async Task Check_lists_every_error_and_exits_1_and_the_flags_name_themselves()
    {
        using var dir = new TempDir();
        var root = Layout(dir);
        File.WriteAllText(Path.Combine(root, "labeled", "cat", "bad.png"), "text");
        Directory.CreateDirectory(Path.Combine(root, "labeled", "eel"));
        var (code, output, _) = await WithCache(dir["cache"], "data", "check", root);
        Assert.Equal(1, code);
        Assert.Contains($"error: {root}/labeled/eel: no images (PNG, JPEG, BMP, GIF or WebP); add some or remove the folder.", output);
        Assert.Contains($"error: {root}/labeled/cat/bad.png: not an image", output);
        Assert.EndsWith("2 errors\n", output.ReplaceLineEndings("\n"));
        Assert.False(Directory.Exists(Path.Combine(dir["cache"], "semisup", "images")));

        Directory.Delete(Path.Combine(root, "labeled", "eel"));
        var skipped = await WithCache(dir["cache"], "data", "check", root, "--skip-unreadable");
        Assert.Equal(0, skipped.Code);
        Assert.Contains($"warning: skipped 1 unreadable file: {root}/labeled/cat/bad.png.", skipped.Out);

        var large = await WithCache(dir["cache"], "data", "check", root, "--memory-limit", "1KiB");
        Assert.Equal(1, large.Code);
        Assert.Contains("more than the memory limit of 1 KiB; use a smaller size or fewer images, or raise --memory-limit.", large.Out);
        var (badLimit, _, err) = await CliCapture.Run("data", "check", root, "--memory-limit", "lots");
        Assert.Equal((1, "error: --memory-limit lots: give bytes, or a size such as 512MiB or 4GiB.\n"), (badLimit, err.ReplaceLineEndings("\n")));
        var (badChannels, _, err2) = await CliCapture.Run("data", "check", root, "--channels", "4");
        Assert.Equal((1, "error: channels 4: give 1 (gray) or 3 (RGB).\n"), (badChannels, err2.ReplaceLineEndings("\n")));
    }

    [Theory]
    [InlineData("4GiB", 4L << 30)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("512m", 512L << 20)]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("1.5 GiB", 3L << 29)]
    [InlineData("1000", 1000L)]
    public void Memory_limits_read_as_people_write_them(string text, long bytes) =>
        Assert.Equal(bytes, ImageDataCommands.ParseBytes(text, "--memory-limit"));

    [Fact]
    public async Task Synth_writes_the_colour_set_and_export_refuses_bad_arguments()
    {
        using var dir = new TempDir();
        var (code, output, error) = await CliCapture.Run("data", "synth", "--data-dir", mnist.Dir, "--out", dir["colours"],
            "--labels", "20", "--unlabeled", "5", "--validation", "10", "--test", "10", "--seed", "2");
        Assert.True(code == 0, error);
        Assert.Equal($"wrote {dir["colours"]}: 20 labeled, 5 unlabeled, 10 validation and 10 test images, 32×32 RGB, from mnist at seed 2\n", output.ReplaceLineEndings("\n"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dir["colours"], "labeled", "3")).Length);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(dir["colours"], "unlabeled")).Length);

        var again = await CliCapture.Run("data", "synth", "--data-dir", mnist.Dir, "--out", dir["colours"], "--labels", "20");
        Assert.Equal((1, $"error: {dir["colours"]}: already exists; choose a new folder, or remove it first.\n"), (again.Code, again.Err.ReplaceLineEndings("\n")));
        var odd = await CliCapture.Run("data", "export", "--data-dir", mnist.Dir, "--out", dir["x"], "--labels", "15");
        Assert.Equal(1, odd.Code);
        Assert.Contains("--labels 15: the labeled set is class-balanced", odd.Err);
        Assert.False(Directory.Exists(dir["x"]));
    }
}
