using System.Security.Cryptography;
using System.Text;
using Semisup.Models;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using Semisup.Training;

namespace Semisup.Tests.Training;

/// <summary>A checkpoint of the first format has no checksum: it loads only with a warning that says so, and
/// <c>semisup checkpoint upgrade</c> saves it again verified.</summary>
[Collection("mnist")]
public class CheckpointFormatTests(MnistFixture mnist)
{
    static readonly TrainingState State = new(3, 2, 0.9, 12);

    /// <summary>A checkpoint of the first format, with optimizer state if <paramref name="resumable"/>: no checksum, and
    /// no "trained weights follow" flag, as such files were written.</summary>
    static string FirstFormat(TempDir dir, bool resumable)
    {
        var recipe = new Recipe();
        TorchSharp.torch.manual_seed(3);
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = resumable ? Factory.Optimizer(net, recipe) : null;
        Checkpoint.Save(dir["old.ckpt"], net, recipe, State, optimizer);
        var bytes = File.ReadAllBytes(dir["old.ckpt"])[..^32];
        if (resumable) bytes = bytes[..^1];
        Encoding.ASCII.GetBytes("SEMISUP-CKPT-1").CopyTo(bytes, 1);
        File.WriteAllBytes(dir["old.ckpt"], bytes);
        return dir["old.ckpt"];
    }

    static bool Verified(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Encoding.ASCII.GetString(bytes, 1, bytes[0]) == "SEMISUP-CKPT-2"
            && SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32));
    }

    [Fact]
    public async Task A_checksum_switched_off_by_the_magic_loads_only_with_a_warning()
    {
        using var dir = new TempDir();
        using (var net = new ConvNet(new ConvNetConfig())) Checkpoint.Save(dir["m.ckpt"], net, new Recipe(), State, null);
        ForgedCheckpoints.SetFormat(dir["m.ckpt"], '1');
        var bytes = File.ReadAllBytes(dir["m.ckpt"]);
        Array.Fill(bytes, (byte)0x3c, bytes.Length / 2, 4096); // 4 KB of the weights overwritten, as the attack did
        File.WriteAllBytes(dir["m.ckpt"], bytes);

        var (code, output, error) = await CliCapture.Run("predict", "-c", dir["m.ckpt"], "-i", Path.Combine(mnist.Dir, "t10k-images-idx3-ubyte"), "--limit", "1");
        Assert.True(code == 0, error);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"warning: {dir["m.ckpt"]} is of the first checkpoint format, without a checksum, so a changed or corrupt byte in it would go unnoticed; " +
            $"if you trust it, save it verified with `semisup checkpoint upgrade {dir["m.ckpt"]}`.", error.Trim());

        // A verified one loads without a word.
        using (var net = new ConvNet(new ConvNetConfig())) Checkpoint.Save(dir["ok.ckpt"], net, new Recipe(), State, null);
        var warnings = new List<string>();
        new Semisup.Runs.Ensemble([dir["ok.ckpt"]], warnings.Add).Dispose();
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upgrade_saves_a_first_format_checkpoint_verified_with_the_same_content(bool resumable)
    {
        using var dir = new TempDir();
        var path = FirstFormat(dir, resumable);
        var (before, _) = Checkpoint.Load(path);
        using var _b = before;

        var (code, output, error) = await CliCapture.Run("checkpoint", "upgrade", path);
        Assert.True(code == 0, error);
        Assert.Equal($"{path}: saved again with its SHA-256 (format 2); from now on a changed byte is refused.", output.Trim());
        Assert.True(Verified(path));
        var (after, header) = Checkpoint.Load(path);
        using var _a = after;
        Assert.Null(Checkpoint.Unverified(path, header));
        Assert.Equal(State, header.State);
        foreach (var (name, t) in before.state_dict()) Assert.True(t.eq(after.state_dict()[name]).all().item<bool>(), name);
        if (resumable) Checkpoint.Resume(path, m => Factory.Optimizer(m, header.Recipe)).Dispose();
        Assert.Equal([path], Directory.GetFiles(dir.Path));

        // Once verified, it is left alone.
        var upgraded = File.ReadAllBytes(path);
        Assert.Equal($"{path}: already verified (format 2); left as it was.", (await CliCapture.Run("checkpoint", "upgrade", path)).Out.Trim());
        Assert.Equal(upgraded, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Upgrade_refuses_a_file_that_does_not_load_and_leaves_it_unchanged()
    {
        using var dir = new TempDir();
        var path = FirstFormat(dir, resumable: false);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^100]);
        var before = File.ReadAllBytes(path);
        var (code, _, error) = await CliCapture.Run("checkpoint", "upgrade", path);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {path}: corrupt", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Every_shipped_and_kept_checkpoint_is_of_the_verified_format()
    {
        var files = new[] { "models", "docs/runs" }.Select(d => Path.Combine(Repo.Root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*.ckpt", SearchOption.AllDirectories)).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.True(Verified(f), $"{f} is not of the verified format; run `semisup checkpoint upgrade {f}`."));
    }
}
