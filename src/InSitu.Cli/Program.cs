using InSitu.Cli;

return Cli.Run(args);
