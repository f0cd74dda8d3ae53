using Semisup.Models;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Training;

/// <summary>A resume never writes over a run it cannot continue: an edited recipe.json or a foreign last.ckpt is refused
/// before anything is written, and no save replaces a checkpoint with one that does not load back.</summary>
[Collection("mnist")]
public class ResumeSafetyTests(MnistFixture mnist)
{
    const string Tiny = """{ "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 1, "stepsPerEpoch": 1, "labeledBatch": 20, "evalBatch": 2500, "threads": 1 } }""";

    static Dictionary<string, byte[]> Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith(".lock"))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    async Task<string> Trained(TempDir dir, string name, int seed = 1)
    {
        File.WriteAllText(dir["tiny.json"], Tiny);
        var (code, _, err) = await CliCapture.Run("train", "--recipe", dir["tiny.json"], "--out", dir[name], "--seed", $"{seed}", "--data-dir", mnist.Dir);
        Assert.True(code == 0, err);
        return dir[name];
    }

    static void AssertRefusedInOneLine((int Code, string Out, string Err) result, string message)
    {
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
    }

    [Fact]
    public async Task An_edited_recipe_json_is_refused_before_the_run_is_touched()
    {
        using var dir = new TempDir();
        var run = await Trained(dir, "run");
        var recipe = Path.Combine(run, RunDirectory.Recipe);
        File.WriteAllText(recipe, File.ReadAllText(recipe).Replace("\"hiddenUnits\": 100", "\"hiddenUnits\": 50"));
        var before = Files(run);

        AssertRefusedInOneLine(await CliCapture.Run("train", "--resume", run, "--epochs", "2", "--data-dir", mnist.Dir),
            $"{Path.Combine(run, RunDirectory.Last)} was written with another model.hiddenUnits (100 there, 50 in recipe.json)");
        Assert.Equal(before, Files(run));
        // Both checkpoints still load.
        foreach (var file in new[] { RunDirectory.Best, RunDirectory.Last }) Checkpoint.Load(Path.Combine(run, file)).Model.Dispose();
    }

    [Fact]
    public async Task A_foreign_last_checkpoint_copied_into_a_run_is_refused_before_the_run_is_touched()
    {
        using var dir = new TempDir();
        var run = await Trained(dir, "run");
        var other = await Trained(dir, "other", seed: 2);
        File.Copy(Path.Combine(other, RunDirectory.Last), Path.Combine(run, RunDirectory.Last), overwrite: true);
        var before = Files(run);
        AssertRefusedInOneLine(await CliCapture.Run("train", "--resume", run, "--epochs", "2", "--data-dir", mnist.Dir),
            "was written with another data.seed (2 there, 1 in recipe.json)");
        Assert.Equal(before, Files(run));
    }

    [Fact]
    public void A_run_resumed_directly_with_another_recipe_is_refused_before_it_writes()
    {
        using var data = SmallRuns.Data(mnist);
        using var dir = new TempDir();
        var recipe = SmallRuns.Recipe(epochs: 1);
        Trainer.Run(recipe, new RunDirectory(dir.Path), data);
        var before = Files(dir.Path);
        var wider = recipe with { Model = new ConvNetConfig(HiddenUnits: 200), Run = recipe.Run with { Epochs = 2 } };
        var e = Assert.Throws<SemisupException>(() => Trainer.Run(wider, new RunDirectory(dir.Path), data, resume: true));
        Assert.Contains("another model.hiddenUnits (100 there, 200 in the run's recipe)", e.Message);
        Assert.Equal(before, Files(dir.Path));
        // Only the epochs and the thread count may change.
        Trainer.Run(recipe with { Run = recipe.Run with { Epochs = 2, Threads = 1 } }, new RunDirectory(dir.Path), data, resume: true);
        Assert.Equal([1, 2], new RunDirectory(dir.Path).ReadMetrics().Select(m => m.Epoch));
    }

    [Fact]
    public void A_save_whose_recipe_builds_another_network_is_refused_and_the_previous_file_kept()
    {
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        var state = new TrainingState(1, 1, 0.5, 1);
        Checkpoint.Save(dir["last.ckpt"], net, new Recipe(), state, null);
        var before = File.ReadAllBytes(dir["last.ckpt"]);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Save(dir["last.ckpt"], net, new Recipe { Model = new ConvNetConfig(HiddenUnits: 50) }, state with { Epoch = 2 }, null));
        Assert.Equal($"Did not save {dir["last.ckpt"]}: its recipe builds another network than the one saved (ConvNet), so it could not be loaded back; the previous checkpoint, if any, is intact.", e.Message);
        Assert.Equal(before, File.ReadAllBytes(dir["last.ckpt"]));
        Assert.False(File.Exists(dir["last.ckpt.tmp"]));
    }

    [Fact]
    public void Saving_leaves_the_random_generator_where_it_was()
    {
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        manual_seed(7);
        var expected = randn(5).data<float>().ToArray();
        manual_seed(7);
        Checkpoint.Save(dir["m.ckpt"], net, new Recipe(), new TrainingState(1, 1, 0.5, 1), null);
        Assert.Equal(expected, randn(5).data<float>().ToArray());
    }
}
