using Semisup.Cli;
using Semisup.Models;
using Semisup.Training;

namespace Semisup.Tests.Reliability;

/// <summary>Hostile input, made at test time: each case writes its files into a fresh directory, runs one command line,
/// and asserts the exit code, the one-line message, and that nothing was written where it should not be (no run
/// directory, nothing fetched into the data directory).</summary>
public class CorpusTests
{
    /// <summary>A case: what to make in the directory, then the command line ({dir} is the directory).</summary>
    public sealed record Case(string Name, Action<TempDir> Make, string[] Args, string Message)
    {
        public override string ToString() => Name;
    }

    static void Recipe(TempDir dir, string json) => File.WriteAllText(dir["r.json"], json);

    static void Checkpoint(TempDir dir, Action<byte[]>? change = null)
    {
        using var net = new ConvNet(new ConvNetConfig());
        Semisup.Training.Checkpoint.Save(dir["m.ckpt"], net, new Recipe(), new TrainingState(1, 1, 0.5, 1), null);
        var bytes = File.ReadAllBytes(dir["m.ckpt"]);
        change?.Invoke(bytes);
        File.WriteAllBytes(dir["m.ckpt"], bytes);
    }

    static readonly string[] Train = ["train", "--recipe", "{dir}/r.json", "--out", "{dir}/run", "--data-dir", "{dir}/data"];

    public static TheoryData<Case> Cases => new()
    {
        new("duplicate key", d => Recipe(d, """{ "run": { "epochs": 3, "epochs": 4 } }"""), Train, "run.epochs: given twice"),
        new("infinite learning rate", d => Recipe(d, """{ "optimizer": { "kind": "adam", "learningRate": 1e309 } }"""), Train, "optimizer.learningRate: must be a finite number"),
        new("infinite noise", d => Recipe(d, """{ "model": { "kind": "conv", "noiseStd": -1e400 } }"""), Train, "model.noiseStd: must be a finite number"),
        new("batch larger than the labeled set", d => Recipe(d, """{ "run": { "labeledBatch": 100000 } }"""), Train, "run.labeledBatch: 100000 is more than the 3,000 labeled images"),
        new("unknown key", d => Recipe(d, """{ "method": { "kind": "gamma", "thresold": 0.9 } }"""), Train, "method.thresold: method of kind 'gamma' has no such key"),
        new("a number as text", d => Recipe(d, """{ "run": { "epochs": "ten" } }"""), Train, "run.epochs: give a whole number, not \"ten\""),
        new("all labels for a semi-supervised method", d => Recipe(d, "{}"), [.. Train, "--labels", "all"], "data.labels: all leaves no unlabeled image for the gamma method"),
        new("no threads", d => Recipe(d, "{}"), [.. Train, "--threads", "0"], "run.threads: 0 must be at least 1"),
        new("a flipped byte in a checkpoint", d => Checkpoint(d, b => b[b.Length / 2] ^= 1), ["evaluate", "-c", "{dir}/m.ckpt", "--data-dir", "{dir}/data"], "does not match its SHA-256"),
        new("eight bytes of 0xFF in a checkpoint", d => Checkpoint(d, b => Array.Fill(b, (byte)0xFF, b.Length / 3, 8)), ["predict", "-c", "{dir}/m.ckpt", "-i", "{dir}/m.ckpt"], "does not match its SHA-256"),
        new("a directory as checkpoint", d => Directory.CreateDirectory(d["ckpt"]), ["evaluate", "-c", "{dir}/ckpt", "--data-dir", "{dir}/data"], "is a directory"),
        new("predict from /dev/zero", _ => { }, ["predict", "-c", "{dir}/m.ckpt", "-i", "/dev/zero"], "not a regular file"),
        new("a link to /dev/zero as an image", d => File.CreateSymbolicLink(d["x.png"], "/dev/zero"), ["predict", "-c", "{dir}/m.ckpt", "-i", "{dir}/x.png"], "not a regular file"),
        new("an empty image", d => File.WriteAllBytes(d["x.png"], []), ["predict", "-c", "{dir}/m.ckpt", "-i", "{dir}/x.png"], "x.png"),
        new("resume with a new seed", d => Recipe(d, "{}"), ["train", "--resume", "{dir}", "--seed", "3"], "is not a run directory"),
        new("--set without a block", d => Recipe(d, "{}"), [.. Train, "--set", "epochs=3"], "give block.key=value"),
        new("--set 100 levels deep", d => Recipe(d, "{}"), [.. Train, "--set", $"augmentation.{string.Concat(Enumerable.Repeat("strong.", 100))}shift=1"], "102 levels; recipe keys are at most 16 deep"),
        new("--set 10,000 levels deep", d => Recipe(d, "{}"), [.. Train, "--set", $"augmentation.{string.Concat(Enumerable.Repeat("strong.", 10_000))}shift=1"], "10,002 levels"),
        new("a recipe nested 60 deep", d => Recipe(d, $"{{ \"augmentation\": {string.Concat(Enumerable.Repeat("{ \"strong\": ", 60))}{{ \"shift\": 1 }}{new string('}', 60)} }}"), Train, "augmentation: blocks nested more than 16 deep"),
        new("a 2 MB recipe file", d => Recipe(d, $"{{ \"description\": \"{new string('x', 2 << 20)}\" }}"), Train, "bytes is larger than a recipe file may be (1,048,576 bytes at most)"),
        new("a description of 5,000 characters", d => Recipe(d, $"{{ \"description\": \"{new string('x', 5000)}\" }}"), Train, "description: 5,000 characters is longer than a recipe's texts may be (4,000 at most)"),
        new("--set a warm start path of 5,000 characters", d => Recipe(d, "{}"), [.. Train, "--set", $"model.warmStart={new string('x', 5000)}"], "model.warmStart: 5,000 characters is longer"),
        new("serve on port 99999", _ => { }, ["serve", "-c", "{dir}/m.ckpt", "--port", "99999"], "--port 99999: give a port from 1 to 65535"),
        new("serve on port -1", _ => { }, ["serve", "-c", "{dir}/m.ckpt", "--port", "-1"], "--port -1: give a port from 1 to 65535"),
        new("300 random bytes as an ONNX model", d => File.WriteAllBytes(d["m.onnx"], Enumerable.Range(0, 300).Select(i => (byte)(i * 37 + 11)).ToArray()),
            ["evaluate", "--onnx", "{dir}/m.onnx", "--data-dir", "{dir}/data"], "m.onnx: ONNX Runtime cannot load it"),
        new("an export over its own checkpoint", d => Checkpoint(d), ["export", "-c", "{dir}/m.ckpt", "--format", "onnx", "--out", "{dir}/m.ckpt"],
            "is the checkpoint being exported; give another file name"),
        new("an export into a directory", d => { Checkpoint(d); Directory.CreateDirectory(d["out"]); },
            ["export", "-c", "{dir}/m.ckpt", "--format", "onnx", "--out", "{dir}/out"], "is a directory; give a file name"),
        new("a folder with one class", d => Directory.CreateDirectory(d["photos/labeled/a"]), ["train", "--data", "{dir}/photos", "--out", "{dir}/run"],
            "only one class ('a'); a classifier needs at least two class folders"),
        new("FreeMatch's retired adaptive threshold", d => Recipe(d, """{ "method": { "kind": "fixmatch", "adaptiveThreshold": 0.999 }, "augmentation": { "strong": { "cutout": 4 } } }"""),
            Train, "method.adaptiveThreshold: 0.999 is a setting Semisup no longer has; check out 34549c3 to train or load this recipe."),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_case_is_refused_in_one_line_and_writes_nothing(Case c)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        if (c.Args[0] == "predict") Checkpoint(dir); // a sound model, unless the case spoils it
        c.Make(dir);
        var before = Directory.GetFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories).Order().ToList();
        var args = c.Args.Select(a => a.Replace("{dir}", dir.Path)).ToArray();

        var error = new StringWriter();
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetError(error);
        Console.SetOut(TextWriter.Null);
        int code;
        try { code = await SemisupCli.RunAsync(args); }
        finally { Console.SetError(stderr); Console.SetOut(stdout); }

        Assert.Equal(1, code);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(c.Message, lines[0]);
        Assert.DoesNotContain("System.", lines[0]);
        Assert.Equal(before, Directory.GetFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task A_second_training_into_a_held_directory_is_refused_naming_the_first()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.json"], "{}");
        using var held = new RunDirectory(dir["run"]).Lock();
        var error = new StringWriter();
        var stderr = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(1, await SemisupCli.RunAsync(["train", "--recipe", dir["r.json"], "--out", dir["run"], "--data-dir", dir.Path])); }
        finally { Console.SetError(stderr); }
        Assert.Contains($"is being trained by another semisup (process {Environment.ProcessId}", error.ToString());
        Assert.False(File.Exists(dir["run/recipe.json"]));
    }
}
