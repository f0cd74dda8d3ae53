using System.Runtime.InteropServices;
using Semisup.Cli;
using Semisup.Data;

namespace Semisup.Tests.Cli;

/// <summary>The library names a setting or a fix by its meaning; the CLI words it with its options and commands.</summary>
public class ErrorWordingTests
{
    [Fact]
    public void A_setting_is_worded_as_the_option_that_gives_it()
    {
        var labels = Assert.Throws<SettingException>(() => Split.Check(15, Split.Random));
        Assert.StartsWith("labels 15: the labeled set is class-balanced", labels.Message);
        Assert.StartsWith("--labels 15: the labeled set is class-balanced", CliErrors.Word(labels));
        var set = Assert.Throws<SettingException>(() => RecipeFile.Parse("{}", "test", ["nope.x=1"]));
        Assert.Equal("--set nope.x=1: 'nope' is not a block; the blocks are data, model, method, optimizer, schedule, augmentation, run.", CliErrors.Word(set));
        var limit = Assert.Throws<SettingException>(() => ImageInputs.CheckLimit(0));
        Assert.Equal("--limit 0: give at least 1 image.", CliErrors.Word(limit));
    }

    [Fact]
    public void A_fix_for_the_data_is_worded_as_the_command_that_makes_it()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFilesException>(() => DatasetFiles.Read(dir.Path, Datasets.Mnist));
        Assert.Equal(DataRemedy.Fetch, e.Remedy);
        Assert.EndsWith("missing. Fetch mnist into that directory.", e.Message);
        Assert.EndsWith("missing. Run `semisup data fetch --dataset mnist` (with the same --data-dir, if any).", CliErrors.Word(e));
    }

    [Fact]
    public void A_libtorch_failure_after_a_saved_epoch_is_worded_with_the_command_that_resumes()
    {
        var e = new Semisup.Training.NativeFailureException(3, 2, "runs/x", new ExternalException("Expected false to be true"));
        Assert.Equal("libtorch failed in epoch 3: Expected false to be true. The run in runs/x holds epoch 2; resume it from there.", e.Message);
        Assert.Equal($"libtorch failed in epoch 3: Expected false to be true. {Path.Combine("runs/x", "last.ckpt")} holds epoch 2; continue with `semisup train --resume runs/x`.", CliErrors.Word(e));
        var unsaved = new Semisup.Training.NativeFailureException(1, 0, "runs/x", new ExternalException("boom"));
        Assert.Equal(unsaved.Message, CliErrors.Word(unsaved));
    }
}
