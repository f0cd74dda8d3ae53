using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Training;

namespace Semisup.Tests.Training;

/// <summary>A header edited and its checksum recomputed (the checksum guards against corruption, not forgery) is compared
/// with the tensors actually in the file before any network is built, so it cannot make the loader allocate more than
/// the file holds.</summary>
public class ForgedHeaderTests
{
    static readonly TrainingState State = new(3, 2, 0.9, 12);

    static string Saved(TempDir dir, Classifier net, Recipe recipe, bool resumable = false)
    {
        using var optimizer = resumable ? Factory.Optimizer(net, recipe) : null;
        Checkpoint.Save(dir["m.ckpt"], net, recipe, State, optimizer);
        net.Dispose();
        return dir["m.ckpt"];
    }

    static string Refused(string path) => Assert.Throws<SemisupException>(() => Checkpoint.Load(path)).Message;

    /// <summary>The resident memory's growth while <paramref name="action"/> runs, sampled as it runs.</summary>
    static long PeakGrowth(Action action)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        process.Refresh();
        long start = process.WorkingSet64, peak = start;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(5);
            }
        });
        try { action(); }
        finally { done.Cancel(); sampler.Wait(); }
        return peak - start;
    }

    [Fact]
    public void A_conv_net_claiming_a_million_hidden_units_is_refused_before_it_is_built()
    {
        using var dir = new TempDir();
        var path = Saved(dir, new ConvNet(new ConvNetConfig()), new Recipe());
        ForgedCheckpoints.Rewrite(path, h => h["recipe"]!["model"]!["hiddenUnits"] = 1_000_000);
        string message = "";
        // Building it would take 2.2 GB (the issue measured it); the file holds 1.6 MB.
        Assert.InRange(PeakGrowth(() => message = Refused(path)), long.MinValue, 200L << 20);
        using var real = new ConvNet(new ConvNetConfig());
        Assert.Equal($"{path}: corrupt checkpoint: its recipe's network has {new ConvNetConfig(HiddenUnits: 1_000_000).Parameters:N0} parameters " +
            $"but the file holds {real.state_dict().Values.Sum(t => t.numel()):N0} values; its header does not describe its weights.", message);
    }

    [Fact]
    public void A_gap_net_claiming_600000_channels_is_refused_and_so_is_a_resume_from_it()
    {
        using var dir = new TempDir();
        var recipe = new Recipe { Model = new GapNetConfig([8]), Method = new Supervised() };
        var path = Saved(dir, new GapNet(new GapNetConfig([8])), recipe, resumable: true);
        ForgedCheckpoints.Rewrite(path, h => h["recipe"]!["model"]!["widths"] = new JsonArray(600_000));
        Assert.StartsWith($"{path}: its recipe", Refused(path));
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Resume(path, m => Factory.Optimizer(m, recipe)));
        Assert.StartsWith($"{path}: its recipe", e.Message);
    }

    [Fact]
    public void A_header_whose_shapes_were_edited_with_its_recipe_is_refused_by_the_tensors_themselves()
    {
        using var dir = new TempDir();
        var path = Saved(dir, new ConvNet(new ConvNetConfig()), new Recipe());
        ForgedCheckpoints.Rewrite(path, h =>
        {
            h["recipe"]!["model"]!["hiddenUnits"] = 200;
            h["signature"] = h["signature"]!.GetValue<string>().Replace("fc1.weight:100x", "fc1.weight:200x");
        });
        Assert.Equal($"{path}: corrupt checkpoint: its tensors' names and shapes differ from those its header declares (a ConvNet).", Refused(path));
    }

    [Fact]
    public void Tensors_cut_short_under_a_recomputed_checksum_are_refused_before_reading()
    {
        using var dir = new TempDir();
        var path = Saved(dir, new ConvNet(new ConvNetConfig()), new Recipe());
        var content = File.ReadAllBytes(path)[..^32][..^100_000];
        File.WriteAllBytes(path, [.. content, .. SHA256.HashData(content)]);
        Assert.Contains($"{path}: corrupt checkpoint: its tensors are cut short or unreadable (", Refused(path));
    }

    [Theory]
    [InlineData("evalBatch", 2_000_000_000, "run.evalBatch: 2000000000 is more than 2,500; larger batches are no faster and need gigabytes of memory")]
    [InlineData("stepsPerEpoch", 1_000_000_000, "run.stepsPerEpoch: 1000000000 steps of 50 images is more than 10,000,000 images an epoch")]
    public void Sizes_that_allocate_are_bounded_in_a_header_as_in_a_recipe(string key, int value, string message)
    {
        using var dir = new TempDir();
        var path = Saved(dir, new ConvNet(new ConvNetConfig()), new Recipe());
        ForgedCheckpoints.Rewrite(path, h => h["recipe"]!["run"]![key] = value);
        Assert.Contains(message, Refused(path));
        File.WriteAllText(dir["r.json"], $$"""{ "run": { "{{key}}": {{value}} } }""");
        Assert.Contains(message, Assert.Throws<SemisupException>(() => Recipe.Load(dir["r.json"]).Validate()).Message);
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(3, 4)]
    public void An_impossible_training_state_is_refused(int epoch, int bestEpoch)
    {
        using var dir = new TempDir();
        var path = Saved(dir, new ConvNet(new ConvNetConfig()), new Recipe());
        ForgedCheckpoints.Rewrite(path, h => { h["state"]!["epoch"] = epoch; h["state"]!["bestEpoch"] = bestEpoch; });
        Assert.Equal($"{path}: corrupt checkpoint: its training state (epoch {epoch}, best epoch {bestEpoch}) is impossible.", Refused(path));
    }
}
