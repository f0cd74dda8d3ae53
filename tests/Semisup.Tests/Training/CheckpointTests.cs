using Semisup.Models;
using Semisup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Tests.Training;

public class CheckpointTests
{
    static readonly TrainingState State = new(3, 2, 0.9, 12);

    [Fact]
    public void Save_and_load_round_trip_the_model_exactly()
    {
        using var dir = new TempDir();
        manual_seed(5);
        using var net = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["a.ckpt"], net, new Recipe(), State, null);
        var (loaded, header) = Checkpoint.Load(dir["a.ckpt"]);
        using var _ = loaded;
        Assert.Equal(State, header.State);
        foreach (var (name, t) in net.state_dict()) Assert.True(t.eq(loaded.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_or_a_corrupt_file_is_refused()
    {
        using var dir = new TempDir();
        using var tenClasses = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["a.ckpt"], tenClasses, new Recipe(), State, null);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["a.ckpt"], build: _ => new ConvNet(new ConvNetConfig(Classes: 5))));
        Assert.Contains("another architecture", e.Message);

        var bytes = File.ReadAllBytes(dir["a.ckpt"]);
        File.WriteAllBytes(dir["truncated.ckpt"], bytes[..(bytes.Length / 2)]);
        Assert.Contains("corrupt or truncated", Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["truncated.ckpt"])).Message);
        File.WriteAllText(dir["text.ckpt"], "hello");
        Assert.Contains("not a Semisup checkpoint", Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["text.ckpt"])).Message);
        Assert.Contains("cannot open", Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["missing.ckpt"])).Message);
    }

    [Fact]
    public void A_checkpoint_whose_recipe_describes_a_network_too_large_to_build_is_refused_before_allocating()
    {
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["huge.ckpt"], net, new Recipe { Model = new ConvNetConfig(HiddenUnits: 1_000_000_000) }, State, null);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["huge.ckpt"]));
        Assert.StartsWith("Cannot build the network: its 525,000,130,718 parameters need 1955.8 GiB, more than the ", e.Message);
        Assert.EndsWith(" GiB this process may use; check model.convWidth and model.hiddenUnits.", e.Message);
    }

    [Fact]
    public void A_last_checkpoint_from_before_weight_averaging_still_resumes()
    {
        using var dir = new TempDir();
        var recipe = new Recipe();
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = Factory.Optimizer(net, recipe);
        Checkpoint.Save(dir["last.ckpt"], net, recipe, State, optimizer);
        var bytes = File.ReadAllBytes(dir["last.ckpt"]);
        Assert.Equal(0, bytes[^1]); // the "no trained weights follow" flag, which older checkpoints lack
        File.WriteAllBytes(dir["old.ckpt"], bytes[..^1]);

        using var resumed = Checkpoint.Resume(dir["old.ckpt"], m => Factory.Optimizer(m, recipe));
        Assert.Null(resumed.Average);
        foreach (var (name, t) in net.state_dict()) Assert.True(t.eq(resumed.Model.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void A_checkpoint_whose_recipe_averages_weights_but_holds_no_trained_weights_is_refused()
    {
        using var dir = new TempDir();
        var recipe = new Recipe { Run = new(EmaDecay: 0.99) };
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = Factory.Optimizer(net, recipe);
        Checkpoint.Save(dir["last.ckpt"], net, recipe, State, optimizer);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Resume(dir["last.ckpt"], m => Factory.Optimizer(m, recipe)));
        Assert.Contains("disagree about weight averaging", e.Message);
    }

    [Fact]
    public void Trained_weights_are_saved_only_with_the_optimizer_state_that_resuming_needs()
    {
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(dir["best.ckpt"], net, new Recipe { Run = new(EmaDecay: 0.99) }, State, null, trained: net));
        Assert.False(File.Exists(dir["best.ckpt"]));
    }

    [SkippableFact]
    public void A_full_disk_while_saving_leaves_the_previous_checkpoint_intact()
    {
        Skip.IfNot(File.Exists("/dev/full"), "no /dev/full to simulate a full disk");
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["last.ckpt"], net, new Recipe(), State, null);
        var before = File.ReadAllBytes(dir["last.ckpt"]);
        File.CreateSymbolicLink(dir["last.ckpt.tmp"], "/dev/full"); // every write to it fails with ENOSPC
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Save(dir["last.ckpt"], net, new Recipe(), State with { Epoch = 4 }, null));
        Assert.Contains("previous checkpoint", e.Message);
        Assert.Equal(before, File.ReadAllBytes(dir["last.ckpt"]));
        Assert.False(File.Exists(dir["last.ckpt.tmp"]));
    }
}
